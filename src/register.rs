//! `startapp --register`: finds the project's INSTALLED_APPS with a real Python parser
//! (tree-sitter's Python grammar) and plans the one-line edit that adds the new app to it.
//!
//! Pure planning: this module reads manage.py and the settings modules and returns the new
//! settings text; the write itself (atomic replace, together with the app's files) is
//! [`crate::write`]'s. Anything it cannot read as a plain literal list is refused, never guessed.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use tree_sitter::{Node, Parser, Tree};

use crate::error::Error;
use crate::handle::{self, Identity};

/// How deep `from .base import *` chains are followed.
const MAX_STAR_IMPORTS: usize = 8;

/// The largest manage.py or settings module read, as upgrade's limit for the files it merges.
const MAX_SOURCE: u64 = crate::upgrade::MAX_FILE_SIZE;

/// The planned edit of one settings file.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The app's dotted import path, as INSTALLED_APPS will list it (`blog`, `apps.blog`).
    pub app: String,
    /// The settings file that defines INSTALLED_APPS.
    pub settings: PathBuf,
    /// Its bytes as read, its identity and mode: replaced only if still exactly this.
    pub original: Vec<u8>,
    pub identity: Identity,
    pub mode: u32,
    /// Its bytes with the app added.
    pub edited: Vec<u8>,
}

/// Plans registering the app whose package directory is `app_root` (absolute) in the project
/// that `manage.py` in `app_root`'s parent, or the nearest ancestor with one, belongs to.
pub fn plan(app_root: &Path) -> Result<Registration, Error> {
    let refuse = |why: String| Error::Register {
        app: app_root.display().to_string(),
        why,
    };
    let project = app_root
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("manage.py").is_file())
        .ok_or_else(|| {
            refuse(format!(
                "no manage.py in {} or any directory above it",
                app_root.parent().unwrap_or(app_root).display()
            ))
        })?;
    let app = dotted_path(project, app_root).map_err(&refuse)?;
    let refuse = |why: String| Error::Register {
        app: app.clone(),
        why,
    };

    // The project is found, not named: below it, manage.py and the settings modules are read
    // as untrusted (SPEC 11): regular files only, no link on the way, non-blocking, bounded.
    let project_fd = handle::open_dir(project)
        .map_err(|e| refuse(format!("cannot open {}: {e}", project.display())))?;
    let manage = project.join("manage.py");
    let (source, _) =
        read_utf8(project_fd.as_fd(), project, Path::new("manage.py")).map_err(&refuse)?;
    let module = settings_module(&source)
        .ok_or_else(|| {
            refuse(format!(
                "{} sets no literal default DJANGO_SETTINGS_MODULE (os.environ.setdefault('DJANGO_SETTINGS_MODULE', '...'))",
                manage.display()
            ))
        })?;

    let (settings, source, tree, stat) =
        defining_module(project_fd.as_fd(), project, &module).map_err(&refuse)?;
    let edited = add_to_installed_apps(&source, &tree, &app)
        .map_err(|why| refuse(format!("{}: {why}", settings.display())))?;

    let mode = stat.st_mode & 0o7777;
    if !crate::handle::writable(&settings, mode) {
        return Err(refuse(format!("{} is read-only", settings.display())));
    }
    Ok(Registration {
        app,
        identity: Identity::of(&stat),
        mode,
        original: source.into_bytes(),
        edited: edited.into_bytes(),
        settings,
    })
}

/// `project/apps/blog` -> `apps.blog`; every part must be a Python identifier.
fn dotted_path(project: &Path, app_root: &Path) -> Result<String, String> {
    let rel = app_root
        .strip_prefix(project)
        .map_err(|_| format!("{} is outside the project", app_root.display()))?;
    let parts: Vec<&str> = rel
        .components()
        .map(|c| c.as_os_str().to_str().unwrap_or(""))
        .collect();
    if parts.is_empty() || !parts.iter().all(|p| is_identifier(p)) {
        return Err(format!(
            "{} is not importable from the project root {} (each directory must be a Python identifier)",
            rel.display(),
            project.display()
        ));
    }
    Ok(parts.join("."))
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
        && chars.all(unicode_ident::is_xid_continue)
}

/// The file `rel` below the project, read as [`handle::read_beneath`] reads (a regular file, no
/// link, non-blocking, at most [`MAX_SOURCE`] bytes), as UTF-8 text.
fn read_utf8(
    project_fd: BorrowedFd<'_>,
    project: &Path,
    rel: &Path,
) -> Result<(String, rustix::fs::Stat), String> {
    let path = project.join(rel);
    let (bytes, stat) = handle::read_beneath(project_fd, rel, MAX_SOURCE)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))?;
    Ok((text, stat))
}

fn parse(source: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .ok()?;
    parser
        .parse(source, None)
        .filter(|t| !t.root_node().has_error())
}

fn text<'s>(node: Node<'_>, source: &'s str) -> &'s str {
    &source[node.byte_range()]
}

/// The value of a plain string literal (no f-string parts, no escapes, no concatenation).
fn string_value<'s>(node: Node<'_>, source: &'s str) -> Option<&'s str> {
    if node.kind() != "string" {
        return None;
    }
    let mut cursor = node.walk();
    let mut value = "";
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "string_start" | "string_end" => {}
            "string_content" if child.named_child_count() == 0 => value = text(child, source),
            _ => return None,
        }
    }
    let start = node.child(0).map(|s| text(s, source)).unwrap_or_default();
    // Bytes literals are not module paths.
    (!start.to_ascii_lowercase().contains('b')).then_some(value)
}

/// The default of `os.environ.setdefault('DJANGO_SETTINGS_MODULE', '...')` in manage.py.
fn settings_module(source: &str) -> Option<String> {
    let tree = parse(source)?;
    let mut found = None;
    visit(tree.root_node(), &mut |node| {
        if found.is_some() || node.kind() != "call" {
            return;
        }
        let is_setdefault = node
            .child_by_field_name("function")
            .and_then(|f| f.child_by_field_name("attribute"))
            .is_some_and(|a| text(a, source) == "setdefault");
        let Some(arguments) = node.child_by_field_name("arguments") else {
            return;
        };
        let mut cursor = arguments.walk();
        let args: Vec<Node> = arguments.named_children(&mut cursor).collect();
        if is_setdefault
            && args.len() == 2
            && string_value(args[0], source) == Some("DJANGO_SETTINGS_MODULE")
        {
            found = string_value(args[1], source).map(str::to_owned);
        }
    });
    found.filter(|m| m.split('.').all(is_identifier))
}

/// Calls `f` on `node` and every node below it, in document order. Iterative, with the tree
/// cursor's own stack: any nesting depth (50,000 parentheses) walks without recursion.
fn visit<'t>(node: Node<'t>, f: &mut impl FnMut(Node<'t>)) {
    let mut cursor = node.walk();
    loop {
        f(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The file of a dotted module under the project, relative to it, as Python chooses it (see
/// [`crate::settings::module_file`]), and whether it is a package. A link on the way is an
/// error, not a missing file.
fn module_file(
    project_fd: BorrowedFd<'_>,
    project: &Path,
    module: &str,
) -> Result<Option<(PathBuf, bool)>, String> {
    crate::settings::module_file(module, |rel| match handle::stat_beneath(project_fd, rel) {
        Ok(_) => Ok(true),
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR) =>
        {
            Ok(false)
        }
        Err(e) => Err(format!("cannot read {}: {e}", project.join(rel).display())),
    })
}

/// The settings module that defines INSTALLED_APPS: `module` itself, or the module its star
/// imports (`from .base import *`) lead to, the last one first as Python's would win.
type Defining = (PathBuf, String, Tree, rustix::fs::Stat);

fn defining_module(
    project_fd: BorrowedFd<'_>,
    project: &Path,
    module: &str,
) -> Result<Defining, String> {
    let mut module = module.to_owned();
    let mut seen = Vec::new();
    for _ in 0..MAX_STAR_IMPORTS {
        let (rel, is_package) = module_file(project_fd, project, &module)?.ok_or_else(|| {
            format!(
                "the settings module {module} is not a file under {}",
                project.display()
            )
        })?;
        let path = project.join(&rel);
        let (source, stat) = read_utf8(project_fd, project, &rel)?;
        let tree =
            parse(&source).ok_or_else(|| format!("{} does not parse as Python", path.display()))?;
        seen.push(path.display().to_string());
        if installed_apps_assignment(&tree, &source).is_some() {
            return Ok((path, source, tree, stat));
        }
        let package = if is_package {
            module.clone()
        } else {
            module
                .rsplit_once('.')
                .map(|(p, _)| p.to_owned())
                .unwrap_or_default()
        };
        match last_star_import(&tree, &source, &package) {
            Ok(Some(next)) => module = next,
            Ok(None) => break,
            Err(why) => return Err(format!("{}: {why}", path.display())),
        }
    }
    Err(format!(
        "no INSTALLED_APPS assignment in {}",
        seen.join(" or ")
    ))
}

/// The module of the last `from X import *` at the top level, resolved against `package`. A
/// relative import that goes above the top-level package is refused, as Python refuses it.
fn last_star_import(tree: &Tree, source: &str, package: &str) -> Result<Option<String>, String> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let mut last = None;
    for statement in root.named_children(&mut cursor) {
        if statement.kind() != "import_from_statement" {
            continue;
        }
        let mut inner = statement.walk();
        let star = statement
            .children(&mut inner)
            .any(|c| c.kind() == "wildcard_import");
        let Some(name) = statement.child_by_field_name("module_name") else {
            continue;
        };
        if !star {
            continue;
        }
        let written = text(name, source);
        let dots = written.chars().take_while(|c| *c == '.').count();
        let rest = &written[dots..];
        let resolved = if dots == 0 {
            rest.to_owned()
        } else {
            let mut parts: Vec<&str> = package.split('.').filter(|p| !p.is_empty()).collect();
            if dots > parts.len() {
                return Err(format!(
                    "`{}` goes above the top-level package (Python raises ImportError: attempted \
                     relative import beyond top-level package)",
                    first_line(text(statement, source))
                ));
            }
            parts.truncate(parts.len() + 1 - dots);
            if !rest.is_empty() {
                parts.push(rest);
            }
            parts.join(".")
        };
        last = Some(resolved);
    }
    Ok(last)
}

/// The right-hand side of the last top-level `INSTALLED_APPS = ...`.
fn installed_apps_assignment<'t>(tree: &'t Tree, source: &str) -> Option<Node<'t>> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let mut found = None;
    for statement in root.named_children(&mut cursor) {
        if statement.kind() != "expression_statement" {
            continue;
        }
        let Some(assignment) = statement.named_child(0) else {
            continue;
        };
        if assignment.kind() != "assignment" {
            continue;
        }
        let is_target = assignment
            .child_by_field_name("left")
            .is_some_and(|l| l.kind() == "identifier" && text(l, source) == "INSTALLED_APPS");
        if is_target {
            found = assignment.child_by_field_name("right");
        }
    }
    found
}

/// `source` with `app` added to its literal INSTALLED_APPS: one new line before the closing
/// bracket of a list written over several lines (and a comma after the last entry if it had
/// none), or `, 'app'` inside a list written on one line.
fn add_to_installed_apps(source: &str, tree: &Tree, app: &str) -> Result<String, String> {
    let value = installed_apps_assignment(tree, source)
        .ok_or_else(|| "no INSTALLED_APPS assignment".to_owned())?;
    if value.kind() != "list" && value.kind() != "tuple" {
        return Err(format!(
            "INSTALLED_APPS is not a literal list but {} (`{}`); add '{app}' by hand",
            describe(value.kind()),
            first_line(text(value, source))
        ));
    }
    let mut cursor = value.walk();
    let elements: Vec<Node> = value
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    let label = app.rsplit('.').next().unwrap_or(app);
    for element in &elements {
        if let Some(existing) = string_value(*element, source) {
            if existing == app || existing.starts_with(&format!("{app}.apps.")) {
                return Err(format!(
                    "'{app}' is already in INSTALLED_APPS (as '{existing}')"
                ));
            }
            // Django's default label is the module's last part, and labels must be unique.
            let module = existing.split(".apps.").next().unwrap_or(existing);
            if module.rsplit('.').next() == Some(label) {
                return Err(format!(
                    "INSTALLED_APPS already has an app labelled '{label}' ('{existing}'), and Django requires unique labels"
                ));
            }
        }
    }
    let quote = elements
        .iter()
        .find_map(|e| {
            let start = e.child(0).filter(|_| e.kind() == "string")?;
            text(start, source)
                .chars()
                .find(|c| *c == '\'' || *c == '"')
        })
        .unwrap_or('\'');
    let entry = format!("{quote}{app}{quote}");
    let close = value.end_byte() - 1;
    let close_row = value.end_position().row;

    let Some(last) = elements.last() else {
        // An empty list: `[]` becomes `['app']`; `[` + newline + `]` gets one indented line.
        if close_row == value.start_position().row {
            return Ok(splice(source, close, &entry));
        }
        let line_start = line_start(source, value.start_byte());
        let indent = format!("{}    ", leading_space(source, line_start));
        let after_open = source[value.start_byte()..]
            .find('\n')
            .map_or(close, |i| value.start_byte() + i + 1);
        let eol = line_ending(source, after_open);
        return Ok(splice(
            source,
            after_open,
            &format!("{indent}{entry},{eol}"),
        ));
    };

    // The comma after the last entry, if it has one.
    let mut comma_end = None;
    let mut next = last.next_sibling();
    while let Some(n) = next {
        match n.kind() {
            "," => {
                comma_end = Some(n.end_byte());
                break;
            }
            "comment" => next = n.next_sibling(),
            _ => break,
        }
    }
    let after = comma_end.unwrap_or(last.end_byte());
    let after_row = source[..after].matches('\n').count();

    if close_row > after_row {
        // One new line after the last entry's line, indented as that line is.
        let insert_at = source[after..]
            .find('\n')
            .map_or(source.len(), |i| after + i + 1);
        let last_line = line_start(source, last.start_byte());
        let indent = if last.start_position().row == value.start_position().row {
            format!(
                "{}    ",
                leading_space(source, line_start(source, value.start_byte()))
            )
        } else {
            leading_space(source, last_line).to_owned()
        };
        let mut edited = String::with_capacity(source.len() + entry.len() + indent.len() + 3);
        edited.push_str(&source[..last.end_byte()]);
        if comma_end.is_none() {
            edited.push(',');
        }
        edited.push_str(&source[last.end_byte()..insert_at]);
        edited.push_str(&format!(
            "{indent}{entry},{}",
            line_ending(source, insert_at)
        ));
        edited.push_str(&source[insert_at..]);
        return Ok(edited);
    }
    // Written on one line with its closing bracket: add inline.
    let insertion = if comma_end.is_some() {
        format!(" {entry},")
    } else {
        format!(", {entry}")
    };
    Ok(splice(source, after, &insertion))
}

/// The line break to give a line inserted at `at`: the one that ends the line before it, else
/// the file's first, so that a CRLF file stays CRLF.
fn line_ending(source: &str, at: usize) -> &'static str {
    let before = &source[..at];
    let crlf = if before.ends_with('\n') {
        before.ends_with("\r\n")
    } else {
        source
            .find('\n')
            .is_some_and(|i| source[..i].ends_with('\r'))
    };
    if crlf {
        "\r\n"
    } else {
        "\n"
    }
}

fn splice(source: &str, at: usize, insertion: &str) -> String {
    format!("{}{insertion}{}", &source[..at], &source[at..])
}

fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn leading_space(source: &str, line_start: usize) -> &str {
    let line = &source[line_start..];
    let end = line
        .find(|c: char| c != ' ' && c != '\t')
        .unwrap_or(line.len());
    &line[..end]
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn describe(kind: &str) -> &str {
    match kind {
        "binary_operator" => "a concatenation",
        "call" => "a call",
        "identifier" | "attribute" => "a name defined elsewhere",
        "list_comprehension" => "a comprehension",
        _ => "an expression",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(source: &str, app: &str) -> Result<String, String> {
        let tree = parse(source).expect("parses");
        add_to_installed_apps(source, &tree, app)
    }

    /// `after` must be `before` with exactly `line` inserted as a whole line.
    fn assert_one_line_added(before: &str, after: &str, line: &str) {
        let a: Vec<&str> = before.split_inclusive('\n').collect();
        let b: Vec<&str> = after.split_inclusive('\n').collect();
        assert_eq!(b.len(), a.len() + 1, "{after}");
        let i = b.iter().position(|l| *l == line).expect(line);
        let mut without = b.clone();
        without.remove(i);
        assert_eq!(without, a);
    }

    #[test]
    fn django_style_list_gets_one_line() {
        let before = "INSTALLED_APPS = [\n    'django.contrib.admin',\n    'django.contrib.staticfiles',\n]\n\nX = 1\n";
        let after = add(before, "blog").unwrap();
        assert_one_line_added(before, &after, "    'blog',\n");
        assert!(after.contains("'django.contrib.staticfiles',\n    'blog',\n]"));
    }

    #[test]
    fn comments_quotes_and_indentation_are_kept() {
        let before = "INSTALLED_APPS = [  # apps\n  \"a\",  # first\n  \"b\",   # second\n  # 'debug_toolbar',\n]\n";
        let after = add(before, "apps.blog").unwrap();
        assert_one_line_added(before, &after, "  \"apps.blog\",\n");
        assert!(after.contains("# second\n  \"apps.blog\",\n  # 'debug_toolbar'"));
    }

    #[test]
    fn missing_trailing_comma_is_added() {
        let before = "INSTALLED_APPS = [\n    'a',\n    'b'\n]\n";
        assert_eq!(
            add(before, "blog").unwrap(),
            "INSTALLED_APPS = [\n    'a',\n    'b',\n    'blog',\n]\n"
        );
    }

    #[test]
    fn one_line_lists_and_tuples_are_edited_inline() {
        assert_eq!(
            add("INSTALLED_APPS = ['a', 'b']\n", "c").unwrap(),
            "INSTALLED_APPS = ['a', 'b', 'c']\n"
        );
        assert_eq!(
            add("INSTALLED_APPS = ('a',)\n", "c").unwrap(),
            "INSTALLED_APPS = ('a', 'c',)\n"
        );
        assert_eq!(
            add("INSTALLED_APPS = []\n", "c").unwrap(),
            "INSTALLED_APPS = ['c']\n"
        );
    }

    #[test]
    fn hanging_list_closed_on_the_last_line() {
        let before = "INSTALLED_APPS = ['a',\n                  'b']\n";
        assert_eq!(
            add(before, "c").unwrap(),
            "INSTALLED_APPS = ['a',\n                  'b', 'c']\n"
        );
    }

    #[test]
    fn the_last_assignment_wins() {
        let before = "INSTALLED_APPS = []\nINSTALLED_APPS = [\n    'a',\n]\n";
        assert_eq!(
            add(before, "c").unwrap(),
            "INSTALLED_APPS = []\nINSTALLED_APPS = [\n    'a',\n    'c',\n]\n"
        );
    }

    #[test]
    fn computed_lists_are_refused() {
        for source in [
            "INSTALLED_APPS = BASE_APPS + ['x']\n",
            "INSTALLED_APPS = list(APPS)\n",
            "from .apps import INSTALLED_APPS\nINSTALLED_APPS = APPS\n",
            "INSTALLED_APPS = [a for a in APPS]\n",
        ] {
            let error = add(source, "blog").unwrap_err();
            assert!(error.contains("not a literal list"), "{source}: {error}");
        }
    }

    #[test]
    fn an_app_already_listed_is_refused() {
        for listed in ["'blog'", "\"blog\"", "'blog.apps.BlogConfig'"] {
            let source = format!("INSTALLED_APPS = [\n    {listed},\n]\n");
            let error = add(&source, "blog").unwrap_err();
            assert!(error.contains("already in INSTALLED_APPS"), "{error}");
        }
        assert!(add("INSTALLED_APPS = ['blogger']\n", "blog").is_ok());
        let error = add("INSTALLED_APPS = ['blog']\n", "apps.blog").unwrap_err();
        assert!(error.contains("labelled 'blog'"), "{error}");
    }

    #[test]
    fn settings_module_comes_from_setdefault() {
        let manage = "import os\n\ndef main():\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings.development')\n";
        assert_eq!(
            settings_module(manage).as_deref(),
            Some("mysite.settings.development")
        );
        assert_eq!(
            settings_module("import os\nos.environ.setdefault('X', 'y')\n"),
            None
        );
        assert_eq!(
            settings_module("os.environ.setdefault('DJANGO_SETTINGS_MODULE', f'{x}.settings')\n"),
            None
        );
    }

    #[test]
    fn star_imports_resolve_against_the_package() {
        let source = "from .base import *  # noqa\nfrom os import path\n";
        let tree = parse(source).unwrap();
        assert_eq!(
            last_star_import(&tree, source, "mysite.settings")
                .unwrap()
                .as_deref(),
            Some("mysite.settings.base")
        );
        let source = "from ..common import *\n";
        let tree = parse(source).unwrap();
        assert_eq!(
            last_star_import(&tree, source, "mysite.settings")
                .unwrap()
                .as_deref(),
            Some("mysite.common")
        );
        for escaping in ["from .. import *\n", "from ...x import *\n"] {
            let tree = parse(escaping).unwrap();
            let err = last_star_import(&tree, escaping, "mysite").unwrap_err();
            assert!(err.contains("beyond top-level package"), "{err}");
        }
        let tree = parse("from . import *\n").unwrap();
        assert_eq!(
            last_star_import(&tree, "from . import *\n", "mysite").unwrap(),
            Some("mysite".to_owned())
        );
    }

    #[test]
    fn crlf_lines_stay_crlf() {
        let before = "INSTALLED_APPS = [\r\n    'a',\r\n]\r\n";
        assert_eq!(
            add(before, "blog").unwrap(),
            "INSTALLED_APPS = [\r\n    'a',\r\n    'blog',\r\n]\r\n"
        );
        assert_eq!(
            add("INSTALLED_APPS = [\r\n]\r\n", "blog").unwrap(),
            "INSTALLED_APPS = [\r\n    'blog',\r\n]\r\n"
        );
    }
}
