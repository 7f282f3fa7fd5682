//! The subscription root's streams, made by hand around the fields of
//! [`InvitationsSubscription`]: async-graphql's derived root keeps room for resolving an event
//! (about 4.5 KB) inside every open subscription, idle or not, and room for authorizing it
//! after that is done. Here each of those lives in a box made when it is needed and dropped
//! after; the work is the derived root's, step for step (arguments, errors with the field's
//! path, the extensions around each event). The schema (names, arguments, descriptions) is the
//! derived root's own.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use async_graphql::extensions::ResolveInfo;
use async_graphql::futures_util::{Stream, StreamExt, TryStreamExt, pin_mut, stream};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    Context, Data, OutputType, PathSegment, Positioned, QueryEnv, QueryPathNode, QueryPathSegment,
    Response, Result, SchemaEnv, ServerError, ServerResult, SubscriptionType, Value,
};

use super::subscriptions::InvitationsSubscription;

/// The subscription root.
#[derive(Default)]
pub struct LeanSubscription(InvitationsSubscription);

type Responses<'a> = Pin<Box<dyn Stream<Item = Response> + Send + 'a>>;

impl SubscriptionType for LeanSubscription {
    fn type_name() -> Cow<'static, str> {
        InvitationsSubscription::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        InvitationsSubscription::create_type_info(registry)
    }

    fn create_field_stream<'a>(&'a self, ctx: &'a Context<'_>) -> Option<Responses<'a>> {
        let fields = &self.0;
        let failed = move |err: async_graphql::Error| {
            let field = ctx.item.node.response_key().node.to_string();
            err.into_server_error(ctx.item.pos)
                .with_path(vec![PathSegment::Field(field)])
        };
        Some(match ctx.item.node.name.node.as_str() {
            "orgEvents" => responses(ctx, async move {
                let (_, org) = ctx.param_value("org", None)?;
                let (_, kinds) = ctx.param_value("kinds", None)?;
                fields.org_events(ctx, org, kinds).await.map_err(failed)
            }),
            "invitationEvents" => responses(ctx, async move {
                let (_, org) = ctx.param_value("org", None)?;
                fields.invitation_events(ctx, org).await.map_err(failed)
            }),
            "invitationAccepted" => responses(ctx, async move {
                let (_, org) = ctx.param_value("org", None)?;
                fields.invitation_accepted(ctx, org).await.map_err(failed)
            }),
            _ => return None,
        })
    }
}

/// The responses to a subscription whose items `start` makes.
fn responses<'a, T, Items>(
    ctx: &'a Context<'_>,
    start: impl Future<Output = ServerResult<Items>> + Send + 'a,
) -> Responses<'a>
where
    T: OutputType + Send + 'a,
    Items: Stream<Item = Result<T>> + Send + 'a,
{
    let (field, schema_env, query_env) = (ctx.item, ctx.schema_env, ctx.query_env);
    let started = Box::pin(async move {
        let items = start.await.map_err(|err| ctx.set_error_path(err))?;
        Ok::<_, ServerError>(items.then(move |item| {
            let respond: Pin<Box<dyn Future<Output = ServerResult<Response>> + Send + 'a>> =
                Box::pin(respond(item, field, schema_env, query_env));
            respond
        }))
    });
    stream::once(started)
        .try_flatten()
        .map(|response| response.unwrap_or_else(|err| Response::from_errors(vec![err])))
        .boxed()
}

/// The response to one item: its selection resolved, inside the schema's extensions.
async fn respond<T: OutputType>(
    item: Result<T>,
    field: &Positioned<Field>,
    schema_env: &SchemaEnv,
    query_env: &QueryEnv,
) -> ServerResult<Response> {
    let name = field.node.response_key().node.clone();
    let execute = |data: Option<Data>| async move {
        let path = QueryPathNode {
            parent: None,
            segment: QueryPathSegment::Name(&name),
        };
        let selection = query_env.create_context(
            schema_env,
            Some(path),
            &field.node.selection_set,
            data.as_ref(),
        );
        let parent_type = LeanSubscription::type_name();
        let return_type = <Result<T> as OutputType>::qualified_type_name();
        let info = ResolveInfo {
            path_node: selection.path_node.as_ref().expect("a path was given"),
            parent_type: &parent_type,
            return_type: &return_type,
            name: field.node.name.node.as_str(),
            alias: field.node.alias.as_ref().map(|alias| alias.node.as_str()),
            is_for_introspection: false,
            field: &field.node,
        };
        let resolving = async { item.resolve(&selection, field).await.map(Some) };
        pin_mut!(resolving);
        let mut response = query_env
            .extensions
            .resolve(info, &mut resolving)
            .await
            .map(|value| {
                let mut map = IndexMap::new();
                map.insert(name.clone(), value.unwrap_or_default());
                Response::new(Value::Object(map))
            })
            .unwrap_or_else(|err| Response::from_errors(vec![err]));
        let errors =
            std::mem::take(&mut *query_env.errors.lock().unwrap_or_else(|e| e.into_inner()));
        response.errors.extend(errors);
        response
    };
    Ok(query_env
        .extensions
        .execute(query_env.operation_name.as_deref(), execute)
        .await)
}
