//! The `doorman` command: `serve` (the default), `migrate`, `schema` and `admin` tasks.

use std::io::Read;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use doorman::app::{self, App};
use doorman::config::Settings;
use doorman::domain::email_address::EmailAddress;
use doorman::domain::names::Handle;
use doorman::service::{accounts, invitations};
use secrecy::SecretString;

/// jemalloc: a request allocates and frees hundreds of small objects (async-graphql's values,
/// boxed futures, rows), which it does in far less time than the system allocator under load
/// (a page of 50 invitations costs a quarter less CPU). Its options are built in from
/// `.cargo/config.toml`; `_RJEM_MALLOC_CONF` overrides them at run time.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "doorman",
    version,
    about = "Invitation service with a GraphQL API"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default): migrate, then serve GraphQL and GraphiQL.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        /// Make the account a server admin.
        #[arg(long)]
        server_admin: bool,
        /// Leave the email unverified (by default the operator vouches for it); the account
        /// can verify it with `requestEmailVerification`.
        #[arg(long)]
        unverified: bool,
    },
    /// Create a registration invitation and print its link.
    InviteRegistration {
        /// How many accounts may register with it (default: unlimited).
        #[arg(long)]
        max_uses: Option<i32>,
        /// Days until it expires (default: the configured default expiry).
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// Limit it to one email address.
        #[arg(long)]
        email: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    doorman::telemetry::init();
    for name in Settings::unknown_env_variables() {
        tracing::warn!(variable = %name, "unknown DOORMAN_ variable ignored");
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A value clap cannot read (not a number, too large for its type, not one of the choices)
/// is one `error:` line naming the environment variable that sets it; help and version are
/// printed as clap prints them.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let rendered = err.to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    let flag = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.split_whitespace().next().map(str::to_owned),
        _ => None,
    };
    let env = flag.as_deref().and_then(|flag| {
        let command = Cli::command();
        let long = flag.trim_start_matches("--");
        command
            .get_arguments()
            .chain(
                command
                    .get_subcommands()
                    .flat_map(|sub| sub.get_arguments()),
            )
            .find(|arg| arg.get_long() == Some(long))
            .and_then(|arg| arg.get_env())
            .map(|env| env.to_string_lossy().into_owned())
    });
    match env {
        Some(env) => eprintln!("error: {env}: {message}"),
        None => eprintln!("error: {message}"),
    }
    ExitCode::from(2)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = App::build(cli.settings).await?;
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let ctx = app::connect(cli.settings).await?;
            drop(ctx);
            println!("database is up to date");
            Ok(())
        }
        Command::Schema => {
            print!("{}", doorman::graphql::export_sdl());
            Ok(())
        }
        Command::Admin(command) => admin(cli.settings, command).await,
    }
}

async fn admin(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    let ctx = app::connect(settings).await?;
    match command {
        AdminCommand::CreateUser {
            email,
            username,
            server_admin,
            unverified,
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = SecretString::from(password.trim_end_matches(['\r', '\n']).to_owned());
            let email = EmailAddress::parse(&email).map_err(|err| anyhow::anyhow!(err))?;
            let username =
                Handle::parse(&username, "username").map_err(|err| anyhow::anyhow!(err))?;
            let user = accounts::create_user(
                &ctx.db,
                &email,
                username,
                password,
                server_admin,
                !unverified,
            )
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
            println!(
                "created user {} (id {}){}",
                user.username,
                user.id,
                if user.is_server_admin {
                    ", server admin"
                } else {
                    ""
                }
            );
        }
        AdminCommand::InviteRegistration {
            max_uses,
            expires_in_days,
            email,
        } => {
            let email = email
                .as_deref()
                .map(EmailAddress::parse)
                .transpose()
                .map_err(|err| anyhow::anyhow!(err))?;
            let invitation = invitations::create::admin_registration_invite(
                &ctx,
                max_uses,
                expires_in_days,
                email,
            )
            .await
            .map_err(|err| anyhow::anyhow!("{err}"))?;
            println!("{}", invitation.link.unwrap_or_default());
        }
    }
    Ok(())
}
