//! No module imports a module that imports it back, in any crate of the workspace.
//!
//! Every source file of every crate is parsed (syn); a module "uses" another when one of its
//! paths (in a `use` or in code) starts with `crate::`, `super::`, `self::` or the name of one
//! of its child modules and resolves into that module. A path into an item the crate root
//! re-exports (`crate::Error`) uses the root. `mod` declarations are structure, not use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Every module of the crate whose root file is `root` (`src/lib.rs`, `src/main.rs`), found by
/// following its `mod` declarations, by path (`""` for the root, `"cli::backtest"`), with its
/// file.
fn modules(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut stack = vec![(String::new(), root.to_path_buf(), dir)];
    while let Some((module, file, children_dir)) = stack.pop() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for item in &parsed.items {
            let syn::Item::Mod(m) = item else { continue };
            if m.content.is_some() {
                continue;
            }
            let name = m.ident.to_string();
            let flat = children_dir.join(format!("{name}.rs"));
            let (child_file, child_dir) = if flat.is_file() {
                (flat, children_dir.join(&name))
            } else {
                (children_dir.join(&name).join("mod.rs"), children_dir.join(&name))
            };
            let child = if module.is_empty() { name } else { format!("{module}::{name}") };
            stack.push((child, child_file, child_dir));
        }
        out.insert(module, file);
    }
    out
}

/// Collects the module paths a file refers to.
struct Uses<'a> {
    me: &'a str,
    known: &'a BTreeMap<String, PathBuf>,
    found: BTreeSet<String>,
}

impl Uses<'_> {
    /// Resolves a path given as segments to the longest module it names.
    fn resolve(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else { return };
        let me: Vec<&str> = if self.me.is_empty() { vec![] } else { self.me.split("::").collect() };
        let (base, rest): (Vec<&str>, &[String]) = match first.as_str() {
            "crate" => (vec![], &segments[1..]),
            "self" => (me.clone(), &segments[1..]),
            "super" => {
                let mut base = me.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                (base, rest)
            }
            child => {
                let mut candidate = me.clone();
                candidate.push(child);
                if !self.known.contains_key(&candidate.join("::")) {
                    return;
                }
                (me.clone(), segments)
            }
        };
        let mut best = base.join("::");
        let mut path = base;
        for segment in rest {
            path.push(segment);
            let name = path.join("::");
            if self.known.contains_key(&name) {
                best = name;
            } else {
                break;
            }
        }
        if best != self.me {
            self.found.insert(best);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                let path = prefix.clone();
                self.resolve(&path);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                let path = prefix.clone();
                self.resolve(&path);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => {
                let path = prefix.clone();
                self.resolve(&path);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.resolve(&segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        // An inline module (`mod tests { ... }`) belongs to its file; its `super::` is the file.
        if let Some((_, items)) = &item.content {
            if item.ident == "tests" {
                return;
            }
            for i in items {
                self.visit_item(i);
            }
        }
    }
}

/// Pairs of modules of the crate whose root file is `root` that use each other.
fn cycles(root: &Path) -> Vec<(String, String)> {
    let known = modules(root);
    let mut graph: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &known {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut uses = Uses { me: module, known: &known, found: BTreeSet::new() };
        uses.visit_file(&file);
        graph.insert(module, uses.found);
    }
    let mut out = Vec::new();
    for (a, targets) in &graph {
        for b in targets {
            if a < &b.as_str() && graph.get(b.as_str()).is_some_and(|back| back.contains(*a)) {
                out.push((a.to_string(), b.clone()));
            }
        }
    }
    out
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for src in [
        "src/lib.rs",
        "src/main.rs",
        "crates/features/src/lib.rs",
        "crates/models/src/lib.rs",
        "crates/backtest/src/lib.rs",
    ] {
        for (a, b) in cycles(&root.join(src)) {
            let name = |m: &str| if m.is_empty() { "(crate root)".to_string() } else { m.to_string() };
            found.push(format!("{src}: {} <-> {}", name(&a), name(&b)));
        }
    }
    assert!(found.is_empty(), "modules that import each other:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_cycle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").expect("write");
    std::fs::write(src.join("a.rs"), "use crate::b::{B, inner::Thing};\npub struct A;\n").expect("write");
    std::fs::create_dir_all(src.join("b")).expect("dir");
    std::fs::write(
        src.join("b/mod.rs"),
        "pub mod inner;\npub struct B;\nfn f() -> super::a::A { crate::a::A }\n",
    )
    .expect("write");
    std::fs::write(src.join("b/inner.rs"), "pub struct Thing;\nfn g() -> crate::Root { todo!() }\n")
        .expect("write");
    // a and b use each other; b::inner uses the root, which uses nothing back.
    assert_eq!(cycles(&src.join("lib.rs")), vec![("a".to_string(), "b".to_string())]);
}
