//! An operation's [`Shape`]: the fields it selects, merged by response key in the order of
//! the spec's CollectFields (fragments expanded), each with its type from the schema's SDL.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
    TypeKind, TypeSystemDefinition,
};

/// The fields of the schema's object and interface types, by type and field name.
pub struct OutputTypes {
    fields: HashMap<Name, HashMap<Name, Type>>,
}

impl OutputTypes {
    /// Reads the types from the schema's SDL. Types it does not list (introspection's) are
    /// left out: their fields count as nullable.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut fields = HashMap::new();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            tracing::error!("cannot read the schema's own SDL; responses are left as they are");
            return Self { fields };
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let definition = definition.node;
            let defined = match definition.kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            let entry: &mut HashMap<Name, Type> = fields.entry(definition.name.node).or_default();
            for field in defined {
                entry.insert(field.node.name.node, field.node.ty.node);
            }
        }
        Self { fields }
    }

    fn field_type(&self, parent: Option<&Name>, field: &str) -> Option<Type> {
        if field == "__typename" {
            return Some(Type {
                base: BaseType::Named(Name::new("String")),
                nullable: false,
            });
        }
        self.fields.get(parent?)?.get(field).cloned()
    }

    /// The shape of the operation `document` runs under `operation_name`; `None` when the
    /// document does not say which (the schema then refuses it).
    pub fn shape(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
    ) -> Option<Shape> {
        let operation = match (&document.operations, operation_name) {
            (DocumentOperations::Single(operation), _) => operation,
            (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
            (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
                operations.values().next()?
            }
            (DocumentOperations::Multiple(_), None) => return None,
        };
        let root = Name::new(match operation.node.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        });
        let builder = ShapeBuilder {
            types: self,
            document,
        };
        Some(builder.collect(&[(Some(root), &operation.node.selection_set.node)], 0))
    }
}

/// The fields one selection set gives, merged by response key, in the order they are first
/// selected.
#[derive(Debug, Default)]
pub struct Shape {
    pub(super) fields: Vec<FieldShape>,
}

#[derive(Debug)]
pub(super) struct FieldShape {
    pub(super) key: Name,
    /// The field's type; unknown (nullable) for fields the schema's SDL does not list.
    pub(super) ty: Option<Type>,
    /// What the field's objects select; `None` for leaves.
    pub(super) inner: Option<Shape>,
}

impl FieldShape {
    pub(super) fn nullable(&self) -> bool {
        self.ty.as_ref().is_none_or(|ty| ty.nullable)
    }
}

/// Deeper than this, a document is over the recursion limit (the engine refuses it first).
const MAX_LEVELS: usize = 128;

/// A field found while collecting: its response key, its type, and the selection sets of its
/// objects with their parent type.
type Collected<'a> = (Name, Option<Type>, Vec<(Option<Name>, &'a SelectionSet)>);

struct ShapeBuilder<'a> {
    types: &'a OutputTypes,
    document: &'a ExecutableDocument,
}

impl<'a> ShapeBuilder<'a> {
    /// The merged shape of selection sets, each on its parent type.
    fn collect(&self, sets: &[(Option<Name>, &'a SelectionSet)], level: usize) -> Shape {
        let mut collected: Vec<Collected<'a>> = Vec::new();
        for (parent, set) in sets {
            self.visit(parent.as_ref(), set, &mut collected, level);
        }
        let fields = collected
            .into_iter()
            .map(|(key, ty, inner)| FieldShape {
                inner: (!inner.is_empty() && level < MAX_LEVELS)
                    .then(|| self.collect(&inner, level + 1)),
                key,
                ty,
            })
            .collect();
        Shape { fields }
    }

    fn visit(
        &self,
        parent: Option<&Name>,
        set: &'a SelectionSet,
        collected: &mut Vec<Collected<'a>>,
        level: usize,
    ) {
        if level > MAX_LEVELS {
            return;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.response_key().node.clone();
                    let entry = match collected.iter().position(|(known, ..)| *known == key) {
                        Some(at) => &mut collected[at],
                        None => {
                            let ty = self.types.field_type(parent, &field.name.node);
                            collected.push((key, ty, Vec::new()));
                            collected.last_mut().expect("just pushed")
                        }
                    };
                    if !field.selection_set.node.items.is_empty() {
                        let child = entry.1.as_ref().map(|ty| named(ty).clone());
                        entry.2.push((child, &field.selection_set.node));
                    }
                }
                Selection::InlineFragment(inline) => {
                    let condition = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|condition| &condition.node.on.node)
                        .or(parent);
                    self.visit(
                        condition,
                        &inline.node.selection_set.node,
                        collected,
                        level + 1,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let condition = &fragment.node.type_condition.node.on.node;
                        self.visit(
                            Some(condition),
                            &fragment.node.selection_set.node,
                            collected,
                            level + 1,
                        );
                    }
                }
            }
        }
    }
}

/// The named type under a type's lists.
fn named(ty: &Type) -> &Name {
    match &ty.base {
        BaseType::Named(name) => name,
        BaseType::List(item) => named(item),
    }
}

/// The type of a list's items; `None` for a type that is not a list.
pub(super) fn item_type(ty: &Type) -> Option<&Type> {
    match &ty.base {
        BaseType::List(item) => Some(item),
        BaseType::Named(_) => None,
    }
}
