# 日本語による Doorman のホストページ（招待ページ、管理コンソール、サインインからの戻り先）の文言。
# すべての言語は同じメッセージ ID を同じ順序で持ち、各メッセージは同じ変数を持ちます。
# メッセージが欠けていると、ページはエラーとして表示します。
# ルール（サーバーはこれらのファイルを JSON としてページに渡します）：1 メッセージにつき 1 行、テキストと
# 変数 `$name` のみ。`$product` はサーバーに設定された製品名です。

## スクリプトの実行前に、サーバーがページに書き込むもの
page-title-invitation = 招待 · { $product }
page-title-admin = 管理 · { $product }
page-title-signin = サインイン中 · { $product }
loading-invitation = 招待を読み込んでいます…
loading-admin = コンソールを読み込んでいます…
loading-signin = サインインしています…
needs-javascript = このページを表示するには JavaScript が必要です。

## ページ共通
product-name = { $product }
continue-with = { $provider }で続ける
sign-in-needs-https = プロバイダーでサインインするには、このページが HTTPS で配信されている必要があります。
or = または
sign-in = サインイン
sign-out = サインアウト
field-login = メールアドレスまたはユーザー名
field-password = パスワード
never = 無期限

## 招待ページ：API の拒否の意味と、その対処方法
refusal-invitation-expired = この招待は有効期限が切れています。下のボタンから新しい招待をリクエストしてください。
refusal-invitation-cancelled = この招待は取り消されました。招待した人に新しい招待を依頼してください。
refusal-invitation-declined = この招待は辞退されました。
refusal-invitation-used-up = このリンクは使用回数の上限に達しました。下のボタンから新しい招待をリクエストしてください。
refusal-invitation-already-accepted = この招待はすでに使用されています。
refusal-invitation-superseded = より新しい招待が送信されています。最新のメールにあるリンクを使用するか、下のボタンから新しい招待をリクエストしてください。
refusal-invitation-paused = このリンクは組織によって一時停止されています。しばらくしてからもう一度お試しいただくか、リンクを共有した人にお問い合わせください。
refusal-invitation-not-found = このリンクは招待につながっていません。リンク全体を開いたか確認してください。
refusal-email-mismatch = この招待は別のメールアドレス宛てです。招待されたアドレスでサインインしてください。
refusal-email-domain-not-allowed = このリンクは特定のドメインのメールアドレス専用で、お使いのアドレスは対象外です。
refusal-email-not-verified = 先にメールアドレスを確認してください。お送りしたリンクを開いてから、このページに戻ってください。
refusal-already-member = すでにこの組織のメンバーです。
refusal-unauthenticated = もう一度サインインしてください。セッションが終了したか、メールアドレスまたはパスワードが正しくありませんでした。
refusal-rate-limited = 試行回数が多すぎます。しばらく待ってからもう一度お試しください。
something-went-wrong = 問題が発生しました。もう一度お試しください。
invitation-unusable = この招待はもう使用できません。

## 招待ページ：招待
role-admin = 管理者
role-member = メンバー
role-visitor = ゲスト
invite-heading = { $organization }に招待されています
invite-heading-register = { $product }のアカウント作成に招待されています
fact-invited-by = 招待者
fact-role = ロール
fact-for = 宛先
fact-expires = 有効期限

## 招待ページ：アカウント作成とサインイン
sign-in-to-continue = 続けるにはサインインしてください
create-your-account = アカウントの作成
field-email = メールアドレス
field-username = ユーザー名
field-new-password = パスワード（8 文字以上）
create-account = アカウントを作成する
have-account = すでにアカウントをお持ちですか？
new-here = 初めてご利用ですか？
create-an-account = アカウントを作成
account-ready = アカウントの準備ができました
account-ready-welcome = ようこそ、{ $username }さん。このページは閉じてかまいません。

## 招待ページ：招待への回答
joined-organization = { $organization }に参加しました。
welcome-aboard = ようこそ
joined-close-page = 参加しました。このページは閉じてかまいません。
accept-invitation = 招待を承諾する
decline = 辞退する
invitation-declined = 招待を辞退しました
will-not-join = { $organization }には参加しません。
continue = 続ける
signed-in-as-sentence = { $username }としてサインインしています。
ask-new-invitation = 新しい招待をリクエストする
new-invitation-requested = 組織に連絡しました。再度招待された場合は、メールでお知らせします。
not-meant-for-you = 心当たりがありませんか？
tell-the-sender = 送信者に知らせる
thank-you = ありがとうございました
wrong-recipient-reported = 招待は取り消され、送信した人に通知されました。
verify-email-to-accept = 承諾するには、メールアドレス（{ $email }）を確認してください。メールでお送りしたリンクを開いてから、このページを再読み込みしてください。
verification-email-sent = 新しい確認メールを送信しました。
send-email-again = メールを再送信する
switch-account = { $username }としてサインインしていますが、この招待は { $email } 宛てです。招待されたアドレスでサインインしてください。
switch-account-someone-else = { $username }としてサインインしていますが、この招待は別の人宛てです。招待されたアドレスでサインインしてください。
sign-out-and-switch = サインアウトしてアカウントを切り替える
reload-to-continue = 続けるには、このページを再読み込みしてください。
invitation-cannot-be-shown = この招待は表示できません
invitation-not-found = 招待が見つかりません

## 管理コンソール：サインイン
admin-heading = { $product }管理コンソール
admin-sign-in-intro = 組織の管理者としてサインインしてください。
admin-no-organization = { $username }が管理している組織はありません。
admin-organization = 組織
admin-signed-in-as = { $username }としてサインイン中

## 管理コンソール：API の値の名前
admin-role-member = メンバー
admin-role-visitor = ゲスト
admin-role-admin = 管理者
admin-status-pending = 保留中
admin-status-accepted = 承諾済み
admin-status-used-up = 上限到達
admin-status-expired = 期限切れ
admin-status-cancelled = 取り消し済み
admin-status-declined = 辞退済み
admin-delivery-not-requested = 未リクエスト
admin-delivery-queued = 送信待ち
admin-delivery-sent = 送信済み
admin-delivery-failed = 失敗

## 管理コンソール：メールでの招待とリンクの共有
admin-invite-by-email = メールで招待
admin-emails = メールアドレス（1 行に 1 件、またはカンマ区切り）
admin-role = ロール
admin-personal-note = メッセージ（任意）
admin-send-invitations = 招待を送信
admin-invited = { $email } を招待しました
admin-not-invited = { $input }：{ $reason }
admin-invite-summary = { $invited } 件を招待しました。{ $failed } 件は招待できませんでした。
admin-share-a-link = リンクを共有
admin-create-a-link = リンクの作成
admin-most-uses = 最大使用回数（空欄：無制限）
admin-create-link = リンクを作成
admin-new-link = 新しいリンク
admin-copy = コピー
admin-link-copied = リンクをコピーしました。
admin-copy-by-hand = Ctrl+C を押して、選択したリンクをコピーしてください。

## 管理コンソール：招待の一覧
admin-invitations = 招待
admin-status-filter = ステータス
admin-all-statuses = すべてのステータス
admin-email-contains = メールアドレスで検索
admin-invitation-count = 招待 { $count } 件
admin-column-email = メールアドレス
admin-column-role = ロール
admin-column-status = ステータス
admin-column-delivery = 配信状況または使用回数
admin-column-expires = 有効期限
admin-column-actions = 操作
admin-link-badge = リンク
admin-uses = { $count } 回使用
admin-uses-of-most = { $count } / { $most } 回使用
admin-cancel = 取り消す
admin-cancel-email = { $email } への招待を取り消す
admin-cancel-link = リンクを取り消す
admin-resend = 再送信
admin-resend-to = { $email } に再送信
admin-done = 完了しました。

## 管理コンソール：リアルタイムの承諾
admin-live = リアルタイム
admin-live-intro = このページを開いている間に承諾された招待：
admin-live-joined = { $who }が{ $role }として参加しました（{ $time }）
admin-live-someone = あるユーザー
admin-live-a-member = メンバー

## ID プロバイダーからの戻り（/signin/callback）
signin-failed = サインインできませんでした
signin-go-back = 戻ってもう一度試す
signin-refused = サインインがキャンセルされたか、プロバイダーに拒否されました。
signin-provider-error = プロバイダーからの応答：{ $error }
signin-not-started-here = このサインインはこのタブで開始されたものではないか、すでに使用されています。
signin-no-provider = このサーバーでは、プロバイダーによるサインインは利用できなくなりました。
signin-http-status = ステータス { $status }
signin-no-token = プロバイダーからトークンを取得できませんでした：{ $reason }
signin-other-grant = プロバイダーの応答は別のサインインに対するものでした。
signin-unusable-token = プロバイダーから、{ $product }で使用できるトークンを取得できませんでした。
