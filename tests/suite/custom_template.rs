//! `--template DIR`: Django's walking rules (-e, -n, -x, skipped files and directories, modes,
//! empty directories, binary files), links, template errors, and rendering parity with the
//! real Django 5.2 in the venv.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, listing, scaffold};

/// Writes `files` (relative path, content, mode) and `dirs` under `root`.
fn make_template(root: &Path, files: &[(&str, &[u8], u32)], dirs: &[&str]) {
    for dir in dirs {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    for (path, content, mode) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).unwrap();
    }
}

const BINARY: &[u8] = &[
    0, 159, 146, 150, 255, 0, b'{', b'{', b' ', b'x', b' ', b'}', b'}', 13, 10,
];

/// A template that exercises every walking rule.
fn rules_template(root: &Path) {
    make_template(
        root,
        &[
            (
                "manage.py-tpl",
                b"#!/usr/bin/env python\n# {{ project_name }}\r\n",
                0o755,
            ),
            ("project_name/__init__.py-tpl", b"", 0o644),
            (
                "project_name/project_name_settings.py",
                b"NAME = '{{ project_name }}'\n",
                0o644,
            ),
            (
                "project_name/notes.txt",
                b"not rendered: {{ project_name }}\n",
                0o644,
            ),
            ("project_name/data.bin", BINARY, 0o644),
            ("README.md", b"# {{ project_name|title }}\n", 0o644),
            (
                "Procfile",
                b"web: gunicorn {{ project_name }}.wsgi\n",
                0o600,
            ),
            ("script.sh", b"echo {{ project_name }}\n", 0o750),
            ("compiled.pyc", b"junk", 0o644),
            ("compiled.pyo", b"junk", 0o644),
            ("Main.py.class", b"junk", 0o644),
            (".hidden/keep.py", b"# {{ project_name }}\n", 0o644),
            (".git/config", b"[core]\n", 0o644),
            (
                ".github/workflows/ci.yml",
                b"name: {{ project_name }}\n",
                0o644,
            ),
            ("__pycache__/x.py", b"", 0o644),
            (
                "docs/project_name.py-tpl/inside.txt",
                b"dir suffix kept\n",
                0o644,
            ),
            ("skipme/x.txt", b"x\n", 0o644),
        ],
        &["empty", "project_name/empty_too"],
    );
}

/// Runs scaffold and then the real django-admin on the same template into the same absolute
/// path, returning both listings.
fn scaffold_and_django(template: &Path, args: &[&str]) -> Option<(String, String)> {
    if support::python_opted_out("custom template parity") {
        return None;
    }
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("out");
    let ours = scaffold()
        .current_dir(work.path())
        .args(["startproject", "mysite"])
        .arg(&target)
        .arg("--template")
        .arg(template)
        .args(["--django", "5.2", "-v", "0"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        ours.status.success(),
        "scaffold failed: {}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let ours_listing = format!("{:#?}", listing(&target));
    fs::remove_dir_all(&target).unwrap();

    fs::create_dir(&target).unwrap();
    let theirs = Command::new(support::venv_bin("django-admin"))
        .current_dir(work.path())
        .args(["startproject", "mysite"])
        .arg(&target)
        .arg("--template")
        .arg(template)
        .args(["-v", "0"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "django-admin failed: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let theirs_listing = format!("{:#?}", listing(&target));
    Some((ours_listing, theirs_listing))
}

#[test]
fn walking_rules_match_django_admin() {
    let t = tempfile::tempdir().unwrap();
    rules_template(t.path());
    for args in [
        &[][..],
        &["-e", "md,sh", "-e", "txt"],
        &["-n", "Procfile, README.md", "--name", "script.sh"],
        &["-x"],
        &["-x", ".github", "-x", "skipme"],
        &["--exclude", "docs", "-e", "yml"],
    ] {
        if let Some((ours, theirs)) = scaffold_and_django(t.path(), args) {
            assert_eq!(ours, theirs, "with {args:?}");
        }
    }
}

#[test]
fn walking_rules_hold_without_python() {
    let t = tempfile::tempdir().unwrap();
    rules_template(t.path());
    let work = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(work.path())
        .args(["startproject", "mysite", "--template"])
        .arg(t.path())
        .args(["-e", "md", "-n", "Procfile"])
        .assert()
        .success();
    let out = work.path().join("mysite");
    let tree = listing(&out);
    let file = |p: &str| {
        tree.get(p)
            .unwrap_or_else(|| panic!("{p} missing: {:#?}", tree.keys()))
    };
    assert_eq!(
        file("manage.py"),
        &(
            "file 755".into(),
            b"#!/usr/bin/env python\n# mysite\n".to_vec()
        )
    );
    assert_eq!(file("mysite/mysite_settings.py").1, b"NAME = 'mysite'\n");
    assert_eq!(
        file("mysite/notes.txt").1,
        b"not rendered: {{ project_name }}\n"
    );
    assert_eq!(file("mysite/data.bin").1, BINARY);
    assert_eq!(file("README.md").1, b"# Mysite\n");
    // Rendered by -n, and made writable by its owner as Django's make_writeable does.
    assert_eq!(
        file("Procfile"),
        &("file 600".into(), b"web: gunicorn mysite.wsgi\n".to_vec())
    );
    assert_eq!(
        file("script.sh"),
        &("file 750".into(), b"echo {{ project_name }}\n".to_vec())
    );
    assert_eq!(
        file("docs/mysite.py-tpl/inside.txt").1,
        b"dir suffix kept\n"
    );
    assert_eq!(file("empty").0, "dir 755");
    assert_eq!(file("mysite/empty_too").0, "dir 755");
    for skipped in [
        "compiled.pyc",
        "compiled.pyo",
        "Main.py.class",
        ".hidden",
        ".git",
        ".github",
        "__pycache__",
    ] {
        assert!(!tree.contains_key(skipped), "{skipped} should be skipped");
    }

    // With -x: dot-directories are kept, except .git.
    let work = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(work.path())
        .args(["startproject", "mysite", "--template"])
        .arg(t.path())
        .arg("-x")
        .assert()
        .success();
    let tree = listing(&work.path().join("mysite"));
    assert_eq!(tree[".hidden/keep.py"].1, b"# mysite\n");
    assert!(tree.contains_key(".github/workflows/ci.yml"));
    assert!(!tree.contains_key(".git") && !tree.contains_key("__pycache__"));
}

#[test]
fn startapp_context_and_trailing_slash_tilde_and_file_url() {
    let home = tempfile::tempdir().unwrap();
    let tpl = home.path().join("tpls/app");
    make_template(
        &tpl,
        &[(
            "app_name/apps.py-tpl",
            b"class {{ camel_case_app_name }}Config:\n    name = '{{ app_name }}'\n    path = '{{ app_directory }}'\n    docs = '{{ docs_version }}/{{ django_version }}'\n    key = '{{ secret_key }}'\n",
            0o644,
        )],
        &[],
    );
    let work = tempfile::tempdir().unwrap();
    for source in [
        "~/tpls/app/".to_owned(),
        format!("file://{}", tpl.display()),
        format!("{}/", tpl.display()),
    ] {
        let _ = fs::remove_dir_all(work.path().join("blog_posts"));
        scaffold()
            .current_dir(work.path())
            .env("HOME", home.path())
            .args([
                "startapp",
                "blog_posts",
                "--django",
                "6.0",
                "--template",
                &source,
            ])
            .assert()
            .success();
        let got = fs::read_to_string(work.path().join("blog_posts/blog_posts/apps.py")).unwrap();
        let dir = work.path().join("blog_posts");
        assert_eq!(
            got,
            format!(
                "class BlogPostsConfig:\n    name = 'blog_posts'\n    path = '{}'\n    docs = '6.0/{}'\n    key = ''\n",
                dir.display(),
                support::release("6.0").release()
            ),
            "{source}"
        );
    }
}

#[test]
fn secret_key_and_values_are_not_escaped() {
    let t = tempfile::tempdir().unwrap();
    make_template(
        t.path(),
        &[(
            "settings.py-tpl",
            b"SECRET_KEY = '{{ secret_key }}'\nT = '{{ template }}'\n",
            0o644,
        )],
        &[],
    );
    let work = tempfile::tempdir().unwrap();
    let key = "django-insecure-<&>\"x";
    scaffold()
        .current_dir(work.path())
        .args(["startproject", "mysite", "--secret-key", key, "--template"])
        .arg(t.path())
        .assert()
        .success();
    let got = fs::read_to_string(work.path().join("mysite/settings.py")).unwrap();
    assert_eq!(
        got,
        format!("SECRET_KEY = '{key}'\nT = '{}'\n", t.path().display())
    );
}

/// Every construct of the supported Django subset, in one file.
const SUBSET: &str = r#"# {{ project_name }} {{ project_name|upper }} {{ project_name|title }} {{ camel_case_project_name }}
# dir={{ project_directory }}
# docs={{ docs_version }} version={{ django_version }} key={{ secret_key }}
# undefined=[{{ nope }}] [{{ nope.attr }}] [{{ nope|default:"fallback" }}] [{{ ""|default:'single' }}] [{{ nope|default_if_none:"n" }}]
# filters: {{ "hello world"|capfirst }} {{ "Héllo, Wörld! it's 2nd"|slugify }} {{ "they're 3rd o'clock"|title }} {{ "MiXeD"|lower }}
# more: {{ extensions }} {{ extensions|length }} {{ extensions|join:"+" }} {{ project_name|cut:"site" }} {{ project_name|first }}{{ project_name|last }} {{ project_name|safe }}
# lookups: {{ project_name.upper }} {{ project_name.0 }} {{ extensions.0 }} {{ True }} {{ None }} {{ 42 }} {{ -7 }} {{ 1.5 }} {{ "lit" }} {{ 'it\'s' }}
# spacing:{{project_name}}|{{   project_name   }}|{{ project_name | upper }}
{% if project_name == "mysite" and not nope or False %}A{% elif nope %}B{% else %}C{% endif %}
{% if nope is None %}none{% endif %} {% if project_name is not None %}notnone{% endif %} {% if project_name != 'x' %}ne{% endif %} {% if 'site' in project_name %}in{% endif %} {% if 'zzz' not in project_name %}notin{% endif %}
{% if 1 < 2 and 2 <= 2 and 3 > 2 and 3 >= 3 %}cmp{% endif %} {% if project_name < 1 %}bad{% else %}typeerror-is-false{% endif %} {% if not project_name < 1 %}not-false{% endif %}
{% if a or b and c %}x{% elif not project_name %}y{% elif project_name|length > 3 %}long{% endif %}
{% for ext in extensions %}{{ forloop.counter }}:{{ ext }}{% if not forloop.last %},{% endif %}{% empty %}none{% endfor %}
{% for c in project_name reversed %}{{ c }}{{ forloop.revcounter0 }}{{ forloop.first }}{% endfor %}
{% for x in nope %}never{% empty %}empty-branch{% endfor %}
{% for a in "ab" %}{% for b in "xy" %}{{ forloop.parentloop.counter }}{{ forloop.counter0 }}{{ a }}{{ b }} {% endfor %}{% endfor %}
{% for k, v in pairs %}{{ k }}={{ v }}{% empty %}unpack-empty{% endfor %}
{# a comment #}{% comment "why" %}{{ hidden }}{% if %}{% endcomment %}[{# {% if %} #}]
{% templatetag openblock %} {% templatetag closeblock %} {% templatetag openvariable %} {% templatetag closevariable %} {% templatetag openbrace %} {% templatetag closebrace %} {% templatetag opencomment %} {% templatetag closecomment %}
{% verbatim %}{{ raw }} {% if x %}{% endverbatim %} {% verbatim named %}{% endverbatim %}{% endverbatim named %}
{{ a
}} {% multi
line %} {{ project_name }}}} {% templatetag openbrace %}{{ project_name }} {#}
"#;

#[test]
fn the_django_subset_renders_as_django_5_2_renders_it() {
    if support::python_opted_out("the_django_subset_renders_as_django_5_2_renders_it") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    make_template(
        t.path(),
        &[
            ("manage.py-tpl", SUBSET.as_bytes(), 0o755),
            (
                "project_name/crlf.py",
                b"a = '{{ project_name }}'\r\nb = 1\rc = 2\r\n",
                0o644,
            ),
            ("project_name/__init__.py-tpl", b"", 0o644),
            (
                "project_name/project_name_extra.py",
                b"{% if docs_version == '5.2' %}ok{% endif %}\n",
                0o644,
            ),
            ("assets/logo.bin", BINARY, 0o644),
            ("assets/readme.txt", b"{{ project_name }} stays\n", 0o644),
            // As in Django's own admin_scripts test template, and templates in the wild.
            (
                "additional_dir/localized.py",
                "# coding: utf-8\n# Generated at {% now \"DATE_FORMAT\" %}\n\
                 # {% now \"Y\" as year %}(c) {{ year }}\n\
                 {% with name=project_name|title key=secret_key %}NAME = '{{ name }}'\n\
                 KEY_HINT = '{{ key|truncatechars:12 }}' # {{ key|length }} characters\n\
                 SHORT = '{{ key|slice:\":-40\" }}'{% endwith %}\n"
                    .as_bytes(),
                0o644,
            ),
        ],
        &["empty"],
    );
    let (ours, theirs) = support::render_with_scaffold_and_django(t.path());
    for (path, (kind, bytes)) in &theirs {
        let mine = ours
            .get(path)
            .unwrap_or_else(|| panic!("scaffold did not create {path}"));
        assert_eq!(kind, &mine.0, "{path}");
        assert_eq!(
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&mine.1),
            "{path}"
        );
    }
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
}

fn refused(template: &Path, extra: &[&str]) -> String {
    let work = tempfile::tempdir().unwrap();
    let before = listing(work.path());
    let out = scaffold()
        .current_dir(work.path())
        .args(["startproject", "mysite", "--template"])
        .arg(template)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(listing(work.path()), before, "nothing may be written");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn template_errors_name_file_and_line_and_write_nothing() {
    let cases: &[(&str, &str)] = &[
        (
            "a\nb\n{% include 'x.html' %}\n",
            "line 3: the tag {% include %} is not supported",
        ),
        (
            "{% if project_name %}\n",
            "line 1: Unclosed tag on line 1: 'if'",
        ),
        (
            "\n{{ project_name|pprint }}\n",
            "line 2: the filter 'pprint' is not supported",
        ),
        (
            "\n\n\n{% load static %}\n",
            "line 4: the tag {% load %} is not supported",
        ),
        (
            "{{ project_name.swapcase }}",
            "line 1: a variable: the attribute '.swapcase' of a str is not supported",
        ),
        (
            "{% nosuchtag %}",
            "Invalid block tag on line 1: 'nosuchtag'",
        ),
        ("{% url 'home' %}", "the tag {% url %} is not supported"),
        (
            "\n{% csrf_token %}",
            "line 2: the tag {% csrf_token %} is not supported",
        ),
    ];
    for (content, expected) in cases {
        let t = tempfile::tempdir().unwrap();
        make_template(
            t.path(),
            &[
                ("ok.py", b"fine\n", 0o644),
                ("project_name/bad.py-tpl", content.as_bytes(), 0o644),
            ],
            &[],
        );
        let stderr = refused(t.path(), &[]);
        assert!(
            stderr.starts_with("error: project_name/bad.py-tpl (template "),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{content:?}: {stderr}");
        assert!(stderr.contains("hint: "), "{stderr}");
    }
    let t = tempfile::tempdir().unwrap();
    make_template(t.path(), &[("latin1.py", b"caf\xe9\n", 0o644)], &[]);
    assert!(refused(t.path(), &[]).contains("latin1.py (template"));
}

#[test]
fn links_inside_are_followed_as_django_does_and_links_outside_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let tpl = t.path().join("tpl");
    make_template(
        &tpl,
        &[("real/a.py", b"# {{ project_name }}\n", 0o755)],
        &[],
    );
    symlink("real/a.py", tpl.join("file_link.py")).unwrap();
    symlink("real", tpl.join("dir_link")).unwrap();
    let work = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(work.path())
        .args(["startproject", "mysite", "--template"])
        .arg(&tpl)
        .assert()
        .success();
    let tree = listing(&work.path().join("mysite"));
    assert_eq!(
        tree["file_link.py"],
        ("file 755".into(), b"# mysite\n".to_vec())
    );
    assert!(!tree.contains_key("dir_link"), "{tree:#?}");

    let outside = t.path().join("secret.txt");
    fs::write(&outside, "secret").unwrap();
    for (name, target) in [
        ("leak.txt", outside.clone()),
        ("up", PathBuf::from("..")),
        ("broken", PathBuf::from("nowhere")),
    ] {
        let evil = t.path().join(format!("evil-{name}"));
        make_template(&evil, &[("a.py", b"", 0o644)], &[]);
        symlink(&target, evil.join(name)).unwrap();
        let stderr = refused(&evil, &[]);
        assert!(stderr.contains("refusing template"), "{stderr}");
    }
}

#[test]
fn conflicts_and_missing_templates_are_refused() {
    let t = tempfile::tempdir().unwrap();
    make_template(
        t.path(),
        &[("a.py-tpl", b"", 0o644), ("a.py", b"", 0o644)],
        &[],
    );
    assert!(refused(t.path(), &[]).contains("two template files would both be written to a.py"));
    let stderr = refused(Path::new("/nonexistent/template"), &[]);
    assert!(
        stderr.contains("couldn't handle project template /nonexistent/template"),
        "{stderr}"
    );
    let plain = t.path().join("a.py");
    assert!(refused(&plain, &[]).contains("not a recognized archive format"));
    let odd = tempfile::tempdir().unwrap();
    {
        use std::os::unix::ffi::OsStrExt;
        fs::write(
            odd.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt")),
            "x",
        )
        .unwrap();
    }
    assert!(refused(odd.path(), &[]).contains("has a name that is not UTF-8"));
    let stderr = refused(t.path(), &["--settings", "split"]);
    assert!(
        stderr.contains("--settings split only applies to the built-in template"),
        "{stderr}"
    );
}

/// Five nested loops over the 50-character secret key: 165 bytes of template asking for
/// 312 million copies of the key.
const EXPLOSIVE: &str =
    "{% for a in secret_key %}{% for b in secret_key %}{% for c in secret_key %}\
{% for d in secret_key %}{% for e in secret_key %}{{ secret_key }}{% endfor %}{% endfor %}\
{% endfor %}{% endfor %}{% endfor %}";

#[test]
fn rendered_output_is_bounded_per_template_and_refused_early() {
    let t = tempfile::tempdir().unwrap();
    make_template(t.path(), &[("boom.py", EXPLOSIVE.as_bytes(), 0o644)], &[]);
    let started = std::time::Instant::now();
    let stderr = refused(t.path(), &["--max-template-size", "1M"]);
    assert!(started.elapsed().as_secs() < 10);
    assert!(
        stderr.contains("boom.py (template ")
            && stderr.contains("rendered output passes the limit of 1048576 bytes")
            && stderr.contains("--max-template-size"),
        "{stderr}"
    );
    // The limit counts all rendered files together: two files of 600 KiB each pass 1 MiB.
    let t = tempfile::tempdir().unwrap();
    let big = "x".repeat(600 * 1024);
    make_template(
        t.path(),
        &[
            ("a.py", big.as_bytes(), 0o644),
            ("b.py", big.as_bytes(), 0o644),
        ],
        &[],
    );
    let stderr = refused(t.path(), &["--max-template-size", "1M"]);
    assert!(stderr.contains("b.py (template "), "{stderr}");
    assert!(stderr.contains("passes the limit"), "{stderr}");
}
