//! The reference: `pgbench -M prepared` running, on the same database in the same run, the SQL
//! that each path needs at the least. A GraphQL service cannot answer faster than the database
//! answers that SQL, so every Doorman number is reported as a ratio to these.

use std::path::{Path as FsPath, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::config::{Path, Sizes};

/// The SQL expression of the raw token the bench derives from `label` (see `seed::raw_token`),
/// and of its stored digest.
fn digest_of_label(label: &str) -> String {
    let raw = format!(
        "rtrim(translate(encode(sha256(convert_to({label}, 'UTF8')), 'base64'), '+/', '-_'), '=')"
    );
    format!("encode(sha256(convert_to({raw}, 'UTF8')), 'hex')")
}

/// The pgbench script of a path; `None` for the fan-out, which has no SQL equivalent.
pub fn script(path: Path) -> Option<String> {
    let invitation_columns = "i.id, i.action, i.organization_id, i.role, i.email, \
        i.allowed_email_domains, i.max_uses, i.usage_count, i.status, i.expires_at, \
        i.invited_by, i.message, i.token_digest, i.email_status, i.send_count, \
        i.email_attempts, i.last_sent_at, i.last_email_error, i.created_at, i.updated_at";
    let script = match path {
        // The invitation behind a token, with what the preview shows of its organization and
        // inviter: one point lookup by digest, joined.
        Path::Lookup => format!(
            "\\set k random(1, :tokens)\n\
             SELECT {invitation_columns}, o.name, u.username\n\
             FROM invitations i\n\
             LEFT JOIN organizations o ON o.id = i.organization_id\n\
             LEFT JOIN users u ON u.id = i.invited_by\n\
             WHERE i.token_digest = {digest};\n",
            digest = digest_of_label("'doorman-bench-token-' || :k"),
        ),
        // One page of 51 rows (50 and "is there a next one"), newest first, with the
        // organization's name and the inviter's username, for an admin of the organization
        // named: one query (the organization and the admin check as an init plan, then 51
        // rows down the (organization_id, id) index).
        Path::Page => format!(
            "\\set o random(1, :orgs)\n\
             SELECT {invitation_columns}, o.name, u.username\n\
             FROM invitations i\n\
             JOIN organizations o ON o.id = i.organization_id\n\
             LEFT JOIN users u ON u.id = i.invited_by\n\
             WHERE i.organization_id = (SELECT o.id FROM organizations o\n\
               JOIN memberships m ON m.organization_id = o.id AND m.user_id = :o AND m.role = 'ADMIN'\n\
               WHERE o.name = 'org' || :o)\n\
             ORDER BY i.id DESC\n\
             LIMIT 51;\n"
        ),
        // The accept transaction: lock the link's row and read what the checks need (the
        // account's email, whether it is already a member, the inviter's role) in one query,
        // insert the membership and the redemption, count the use, write the ACCEPTED event
        // and notify listeners on commit. Each client works through its own (account,
        // organization) pairs, like the bench's accepting accounts.
        Path::Accept => format!(
            "\\set p :n * :clients + :client_id\n\
             \\set n :n + 1\n\
             \\set o :p % :orgs + 1\n\
             \\set u :ubase + :p / :orgs\n\
             BEGIN;\n\
             SELECT {invitation_columns}, o.members_can_invite, a.email,\n\
               (SELECT role FROM memberships WHERE organization_id = i.organization_id AND user_id = a.id),\n\
               (SELECT role FROM memberships WHERE organization_id = i.organization_id AND user_id = i.invited_by)\n\
             FROM invitations i\n\
             JOIN organizations o ON o.id = i.organization_id\n\
             JOIN users a ON a.id = :u\n\
             WHERE i.token_digest = {digest}\n\
             FOR UPDATE OF i;\n\
             INSERT INTO memberships (organization_id, user_id, role, invitation_id, joined_at)\n\
               VALUES (:o, :u, 'MEMBER', :o, now()) RETURNING *;\n\
             INSERT INTO invitation_redemptions (invitation_id, user_id, redeemed_at)\n\
               VALUES (:o, :u, now()) RETURNING *;\n\
             UPDATE invitations SET usage_count = usage_count + 1, status = 'PENDING', updated_at = now()\n\
               WHERE id = :o RETURNING *;\n\
             WITH event AS (\n\
               INSERT INTO invitation_events (invitation_id, organization_id, kind, actor_id, created_at)\n\
               VALUES (:o, :o, 'ACCEPTED', :u, now()) RETURNING *)\n\
             SELECT pg_notify('doorman_bench_events', json_build_object('id', id, 'invitation_id', invitation_id,\n\
               'organization_id', organization_id, 'kind', kind, 'actor_id', actor_id)::text) FROM event;\n\
             END;\n",
            digest = digest_of_label("'doorman-bench-link-' || :o"),
        ),
        // 100 email invitations in one transaction: lock the organization and check the
        // inviter, the pending cap, existing members and pending invitations among the emails,
        // then insert the invitations, their CREATED events and their queued emails.
        Path::Create => {
            let email = "'pg' || :run || '-' || :client_id || '-' || :n || '-' || g || '@bench-new.example'";
            format!(
                "\\set o random(1, :orgs)\n\
                 \\set n :n + 1\n\
                 BEGIN;\n\
                 SELECT o.*, m.role FROM organizations o\n\
                   JOIN memberships m ON m.organization_id = o.id AND m.user_id = :o\n\
                   WHERE o.id = :o FOR NO KEY UPDATE OF o;\n\
                 SELECT count(*) FROM invitations\n\
                   WHERE organization_id = :o AND status = 'PENDING' AND expires_at > now();\n\
                 SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id AND m.organization_id = :o\n\
                   WHERE u.email IN (SELECT {email} FROM generate_series(1, 100) g);\n\
                 SELECT email FROM invitations\n\
                   WHERE organization_id = :o AND status = 'PENDING' AND expires_at > now()\n\
                   AND email IN (SELECT {email} FROM generate_series(1, 100) g);\n\
                 WITH new AS (\n\
                   INSERT INTO invitations (action, organization_id, role, email, allowed_email_domains,\n\
                     max_uses, usage_count, status, expires_at, invited_by, message, token_digest,\n\
                     email_status, send_count, email_attempts, created_at, updated_at)\n\
                   SELECT 'JOIN_ORG', :o, 'MEMBER', {email}, '', 1, 0, 'PENDING', now() + interval '7 days',\n\
                     :o, 'Welcome aboard!', encode(sha256(convert_to({email}, 'UTF8')), 'hex'),\n\
                     'QUEUED', 0, 0, now(), now()\n\
                   FROM generate_series(1, 100) g RETURNING *),\n\
                 events AS (\n\
                   INSERT INTO invitation_events (invitation_id, organization_id, kind, actor_id, created_at)\n\
                   SELECT id, organization_id, 'CREATED', :o, now() FROM new RETURNING id)\n\
                 INSERT INTO email_outbox (invitation_id, recipient, subject, link, status,\n\
                   attempts, next_attempt_at, created_at)\n\
                 SELECT id, email, 'You are invited to join Organization ' || :o, repeat('l', :link_bytes),\n\
                   'QUEUED', 0, now(), now() FROM new;\n\
                 END;\n"
            )
        }
        Path::Fanout | Path::Cluster => return None,
    };
    Some(script)
}

#[derive(Clone, Debug, Default)]
pub struct PgbenchResult {
    pub tps: f64,
    pub transactions: u64,
    pub failed: u64,
    pub latency_ms: f64,
    pub aborted: Option<String>,
    /// CPU the PostgreSQL processes used per transaction (set by the caller).
    pub postgres_cpu_us_per_transaction: f64,
}

pub struct Variables {
    pub sizes: Sizes,
    /// The first fresh account of this run's accepts.
    pub ubase: u64,
    /// Makes this run's new emails and tokens unique.
    pub run: u64,
    /// Bytes of the link of one queued email, as Doorman stores it (the message is rendered
    /// when it is sent).
    pub link_bytes: usize,
}

/// Where pgbench runs: the program, a folder for its scripts, the database.
pub struct Pgbench<'a> {
    pub program: &'a FsPath,
    pub scripts_dir: &'a FsPath,
    pub database_url: &'a str,
}

/// Runs `pgbench -M prepared -c C -j 2 -T secs` (or `-t N` for runs under a second) with the
/// path's script.
pub fn run(
    pgbench: &Pgbench<'_>,
    path: Path,
    clients: usize,
    duration: Duration,
    transactions: Option<u64>,
    vars: &Variables,
) -> anyhow::Result<Option<PgbenchResult>> {
    let (scripts_dir, database_url) = (pgbench.scripts_dir, pgbench.database_url);
    let pgbench = pgbench.program;
    let Some(script) = script(path) else {
        return Ok(None);
    };
    std::fs::create_dir_all(scripts_dir)?;
    let file: PathBuf = scripts_dir.join(format!("{}.sql", path.name()));
    std::fs::write(&file, script)?;
    let mut command = Command::new(pgbench);
    command
        .args(["-n", "-M", "prepared", "-j", "2"])
        .arg("-c")
        .arg(clients.to_string())
        .arg("-f")
        .arg(&file);
    match transactions {
        Some(count) => command.arg("-t").arg(count.to_string()),
        None => command.arg("-T").arg(duration.as_secs().max(1).to_string()),
    };
    let defines = [
        ("tokens", vars.sizes.tokens.to_string()),
        ("orgs", vars.sizes.orgs.to_string()),
        ("clients", clients.to_string()),
        ("ubase", vars.ubase.to_string()),
        ("run", vars.run.to_string()),
        ("n", "0".to_owned()),
        ("link_bytes", vars.link_bytes.to_string()),
    ];
    for (name, value) in defines {
        command.arg("-D").arg(format!("{name}={value}"));
    }
    command.arg(database_url);
    let output = command
        .output()
        .with_context(|| format!("cannot run {}", pgbench.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let field = |prefix: &str| -> Option<f64> {
        stdout.lines().find_map(|line| {
            let rest = line.trim().strip_prefix(prefix)?;
            rest.split(|c: char| c.is_whitespace() || c == '/')
                .next()?
                .parse()
                .ok()
        })
    };
    let tps = field("tps = ").with_context(|| {
        format!(
            "pgbench printed no tps for {}:\n{stdout}\n{stderr}",
            path.name()
        )
    })?;
    let aborted = stderr
        .lines()
        .find(|line| line.contains("aborted") || line.contains("ERROR"))
        .map(str::to_owned);
    Ok(Some(PgbenchResult {
        tps,
        transactions: field("number of transactions actually processed: ").map_or(0, |n| n as u64),
        failed: field("number of failed transactions: ").map_or(0, |n| n as u64),
        latency_ms: field("latency average = ").unwrap_or(0.0),
        aborted,
        postgres_cpu_us_per_transaction: 0.0,
    }))
}
