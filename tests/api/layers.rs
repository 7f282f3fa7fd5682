//! The imports of `src/` run one way: each top-level module may use only modules of its own
//! layer or below, and no files import each other in a circle. And no file of `src/` grows
//! past 500 lines (the style guide's rule: a longer file becomes a folder).
//!
//! ```text
//! app                                   wires everything; nothing imports it
//! http                                  the transport: axum routes, WebSockets, GraphiQL
//! graphql                               the schema: resolvers, limits, loaders
//! service                               the use cases: the only queries, transactions
//! email                                 outgoing mail and its outbox worker
//! config, auth, error, telemetry, db    shared ground
//! domain                                pure rules and values
//! ```
//!
//! The check reads the source: every `crate::…`, `super::…` and `self::…` path outside
//! comments, strings and `#[cfg(test)]` modules, `use` groups included, resolved to the file
//! that defines the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first; a module may import its own layer and those below.
const LAYERS: &[&[&str]] = &[
    &["domain"],
    &["config", "auth", "error", "telemetry", "db"],
    &["email"],
    &["service"],
    &["graphql"],
    &["http"],
    &["app"],
];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

/// A module path below the crate root, such as `["service", "invitations", "create"]`.
type Module = Vec<String>;

/// Every module of `src/` that has a file of its own, with that file (the binary's `main.rs`
/// and the crate root are not part of the layers).
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, prefix: &Module, found: &mut BTreeMap<Module, PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut module = prefix.clone();
                module.push(name);
                walk(&path, &module, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let mut module = prefix.clone();
                match name.as_str() {
                    "mod" => {}
                    "lib" | "main" if prefix.is_empty() => continue,
                    _ => module.push(name),
                }
                found.insert(module, path);
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(src, &Vec::new(), &mut found);
    found
}

/// The code of a file without its comments, string and character literals and test modules.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut code = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                code.push(' ');
            }
            ('r', Some('"' | '#')) if !is_ident(chars.get(i.wrapping_sub(1)).copied()) => {
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    code.push(chars[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    match chars.get(j) {
                        None => break,
                        Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                            j += 1 + hashes;
                            break;
                        }
                        Some(_) => j += 1,
                    }
                }
                code.push_str("\"\"");
                i = j;
            }
            ('"', _) => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                code.push_str("\"\"");
            }
            ('\'', Some('\\')) => {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                code.push_str("' '");
            }
            ('\'', Some(_)) if chars.get(i + 2) == Some(&'\'') => {
                i += 3;
                code.push_str("' '");
            }
            (c, _) => {
                code.push(c);
                i += 1;
            }
        }
    }
    code
}

fn is_ident(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The paths a piece of code names from `crate::`, `super::`, `self::` or one of the child
/// modules it declares (`mod child;`), each as its segments, `use` groups expanded; a child's
/// path starts with `self`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let tokens = tokenize(code);
    let children: BTreeSet<&str> = tokens
        .windows(3)
        .filter(|t| t[0] == "mod" && t[2] == ";")
        .map(|t| t[1].as_str())
        .collect();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let head = tokens[i].as_str();
        let starts = (matches!(head, "crate" | "super" | "self") || children.contains(head))
            && tokens.get(i + 1).is_some_and(|t| t == "::")
            && (i == 0 || tokens[i - 1] != "::");
        if starts && children.contains(head) {
            let (mut found, next) = tree(&tokens, i, vec!["self".to_owned()]);
            paths.append(&mut found);
            i = next;
        } else if starts {
            let (mut found, next) = tree(&tokens, i, Vec::new());
            paths.append(&mut found);
            i = next;
        } else {
            i += 1;
        }
    }
    paths
}

fn tokenize(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_owned());
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    tokens
}

/// Reads a path or `use` tree from `tokens[at]`, prefixed by `prefix`; returns the paths and
/// where the tree ends.
fn tree(tokens: &[String], mut at: usize, mut prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        match tokens.get(at).map(String::as_str) {
            Some("{") => {
                let mut paths = Vec::new();
                at += 1;
                while let Some(token) = tokens.get(at) {
                    match token.as_str() {
                        "}" => return (paths, at + 1),
                        "," => at += 1,
                        _ => {
                            let (mut found, next) = tree(tokens, at, prefix.clone());
                            paths.append(&mut found);
                            at = next;
                        }
                    }
                }
                return (paths, at);
            }
            Some("*") => return (vec![prefix], at + 1),
            Some(segment) if is_ident(segment.chars().next()) => {
                if segment != "self" || prefix.is_empty() {
                    prefix.push(segment.to_owned());
                }
                at += 1;
                if tokens.get(at).is_some_and(|t| t == "::") {
                    at += 1;
                } else {
                    return (vec![prefix], at);
                }
            }
            _ => return (vec![prefix], at),
        }
    }
}

/// The module with a file that a path from `from` lands in: the longest prefix of the path
/// that names one.
fn resolve(from: &Module, path: &[String], known: &BTreeMap<Module, PathBuf>) -> Module {
    let mut module: Module = match path[0].as_str() {
        "crate" => Vec::new(),
        "super" => from[..from.len().saturating_sub(1)].to_vec(),
        _ => from.clone(),
    };
    let mut rest = &path[1..];
    while let Some(segment) = rest.first() {
        if segment == "super" {
            module.pop();
        } else {
            let mut deeper = module.clone();
            deeper.push(segment.clone());
            if !known.contains_key(&deeper) {
                break;
            }
            module = deeper;
        }
        rest = &rest[1..];
    }
    module
}

/// Which module files each module file imports.
fn imports() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = modules(&src);
    assert!(
        known.len() > 40,
        "src/ has its modules ({} found)",
        known.len()
    );
    known
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).expect("a source file is readable");
            let targets = paths_in(&code_of(&text))
                .iter()
                .map(|path| resolve(module, path, &known))
                .filter(|target| !target.is_empty() && target != module)
                .collect();
            (module.clone(), targets)
        })
        .collect()
}

fn name(module: &Module) -> String {
    module.join("::")
}

#[test]
fn every_import_goes_to_the_same_layer_or_below() {
    let mut upward = Vec::new();
    for (module, targets) in imports() {
        let Some(own) = layer_of(&module[0]) else {
            panic!(
                "src/{} is in no layer: add it to LAYERS in tests/api/layers.rs",
                module[0]
            );
        };
        for target in targets {
            let theirs = layer_of(&target[0]).expect("every top-level module has a layer");
            if theirs > own {
                upward.push(format!("{} imports {}", name(&module), name(&target)));
            }
        }
    }
    assert!(upward.is_empty(), "imports going up: {upward:#?}");
}

#[test]
fn no_file_of_src_is_over_500_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = modules(&src)
        .values()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).ok()?.lines().count();
            (lines > 500).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "files to split into folders: {long:#?}");
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let graph = imports();
    let circles = circles(&graph);
    assert!(
        circles.is_empty(),
        "files importing each other in a circle: {:#?}",
        circles
            .iter()
            .map(|circle| circle.iter().map(name).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
}

/// The strongly connected parts of more than one module (Tarjan's algorithm).
fn circles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, module: &'a Module) {
            let n = self.index.len();
            self.index.insert(module, n);
            self.low.insert(module, n);
            self.stack.push(module);
            self.on_stack.insert(module);
            for target in self.graph.get(module).into_iter().flatten() {
                if !self.index.contains_key(target) {
                    self.visit(target);
                    let low = self.low[module].min(self.low[target]);
                    self.low.insert(module, low);
                } else if self.on_stack.contains(target) {
                    let low = self.low[module].min(self.index[target]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut part = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    part.push(top.clone());
                    if top == module {
                        break;
                    }
                }
                if part.len() > 1 {
                    part.sort();
                    self.found.push(part);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for module in graph.keys() {
        if !walk.index.contains_key(module) {
            walk.visit(module);
        }
    }
    walk.found
}

#[test]
fn the_reader_sees_grouped_imports_and_skips_comments_and_strings() {
    let code = code_of(
        "use crate::{config::Settings, service::{self, events::Bus}};\n\
         // use crate::app::App;\n\
         let s = \"crate::http::serve\"; let c = '\"'; let r = r#\"crate::app\"#;\n\
         fn f<'a>(x: &'a str) { super::super::db::now(); }\n\
         mod child; pub use child::{One, Two}; fn g() { child::run(); }\n\
         #[cfg(test)]\nmod tests { use crate::app::App; }\n",
    );
    let paths: Vec<String> = paths_in(&code).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        [
            "crate::config::Settings",
            "crate::service",
            "crate::service::events::Bus",
            "super::super::db::now",
            "self::child::One",
            "self::child::Two",
            "self::child::run",
        ]
    );
}

#[test]
fn an_upward_import_and_a_circle_are_both_found() {
    let module = |path: &str| -> Module { path.split("::").map(str::to_owned).collect() };
    let graph: BTreeMap<Module, BTreeSet<Module>> = [
        ("service::a", vec!["service::b"]),
        ("service::b", vec!["service::a", "domain"]),
        ("domain", vec![]),
    ]
    .into_iter()
    .map(|(from, to)| (module(from), to.into_iter().map(module).collect()))
    .collect();
    assert_eq!(
        circles(&graph),
        vec![vec![module("service::a"), module("service::b")]]
    );
    assert!(layer_of("graphql") > layer_of("service"));
    let known: BTreeMap<Module, PathBuf> = [module("service"), module("service::events")]
        .into_iter()
        .map(|m| (m, PathBuf::new()))
        .collect();
    assert_eq!(
        resolve(
            &module("service::a"),
            &["super".into(), "events".into(), "Bus".into()],
            &known
        ),
        module("service::events")
    );
}
