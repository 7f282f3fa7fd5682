# 日本語による Doorman のメールメッセージ。すべての言語は同じメッセージ ID を持ちます。テストは
# すべてのテンプレートをすべての言語でレンダリングし、欠けているものがあると失敗します。
# プレースホルダー（placeable）はプレーンテキストです。HTML テンプレートはメッセージの内容をすべてエスケープします。

## 日付の書き方：strftime パターン（chrono）、月名と曜日名のロケール
## （POSIX ロケール名）、および言語の文字方向。
date-format = %Y年%-m月%-d日 %H:%M %Z
date-locale = ja_JP
text-direction = ltr

## テンプレートで共通に使う名前
role-admin = 管理者
role-member = メンバー
role-visitor = ゲスト
someone = あるユーザー
an-administrator = 管理者
or-open-link = または、次のリンクを開いてください：
sent-by = このメールは{ $product }から送信されました。
sent-for = このメールは{ $product }が{ $organization }に代わって送信しました。

## 組織への参加の招待
invitation-subject = { $inviter }から{ $product }の{ $organization }への招待が届きました
invitation-intro = { $inviter }から、{ $product }の{ $organization }に{ $role }として参加するよう招待されました。
invitation-message = 招待者からのメッセージ：
invitation-accept = 招待を承諾する
invitation-expires = この招待の有効期限は{ $expires }です。
invitation-ignore = 心当たりがない場合は、このメールを無視してください。

## アカウント作成の招待（招待制のサーバー）
registration-subject = { $product }のアカウント作成に招待されました
registration-subject-organization = { $product }のアカウント作成と{ $organization }への参加に招待されました
registration-intro = { $inviter }から、{ $product }でアカウントを作成するよう招待されました。
registration-intro-organization = { $inviter }から、{ $product }でアカウントを作成し、{ $organization }に{ $role }として参加するよう招待されました。
registration-accept = アカウントを作成する

## まだ回答されていない招待のリマインダー
reminder-subject = リマインダー：{ $subject }
reminder-intro = この招待への回答をまだお待ちしています。
unsubscribe-hint = ご興味がない場合は、招待のページで招待を辞退してください。この招待に関するメールは今後届かなくなります。

## アカウントのメールアドレスの確認
verify-subject = { $product }のメールアドレスを確認してください
verify-intro = このアドレスがご自身のものであることを確認してください：{ $product }のアカウント{ $username }のメールアドレスを確認します。
verify-button = メールアドレスを確認する
verify-expires = このリンクは1回のみ使用でき、有効期限は{ $expires }です。
verify-ignore = このアカウントの作成やメールアドレスの変更に心当たりがない場合は、このメールを無視してください。

## アカウントのメールアドレスが変更された後、以前のアドレスへ
changed-subject = { $product }アカウントのメールアドレスが変更されました
changed-body = { $product }のアカウント{ $username }のメールアドレスが { $address } に変更されました。このアドレスには今後、このアカウントのメールは届きません。
changed-help = この変更に心当たりがない場合は、{ $product }の管理者にお問い合わせください。

## 招待が別の人に届いてしまった招待者へ
greeting = { $name }さん、こんにちは。
wrong-subject = { $invitee }宛ての招待が別の人に届きました
wrong-body = { $invitee }宛てに送信した{ $organization }への招待が、自分宛てではないと申告した人に届いていました。この招待は取り消され、リンクは使用できなくなりました。
wrong-help = アドレスを確認して、正しい相手を招待してください。

## Webhook エンドポイントが無効化されたときに、組織の管理者へ
webhook-disabled-subject = { $organization }のWebhookエンドポイントが無効化されました
webhook-disabled-body = { $product }はWebhookエンドポイント { $url } を無効化しました。{ $since }以降、配信が失敗し続けています。今後、このエンドポイントにイベントは送信されません。
webhook-disabled-help = 受信側の問題を修正してから、エンドポイントを再開してください。失敗した配信は redeliver で再送できます。
