//! The reference that ships with the binary: a man page for each subcommand, all of them written
//! to a directory, and shell completions that offer the values of the options that have them.

use std::process::Command;

use crate::support::scaffold;

fn stdout(args: &[&str]) -> String {
    let out = scaffold().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn man_page_of_startproject_documents_its_options() {
    let man = stdout(&["man", "startproject"]);
    assert!(man.contains(".TH scaffold-startproject 1"), "{man}");
    // roff escapes the dashes of an option.
    for option in [
        r"\-\-django",
        r"\-\-template",
        r"\-\-settings",
        r"\-\-secret\-key",
    ] {
        assert!(man.contains(option), "{option} missing:\n{man}");
    }
    assert!(man.contains("scaffold startproject"), "{man}");
    assert!(
        man.contains("5.2, 6.0 or 6.1"),
        "--django says which releases:\n{man}"
    );

    let startapp = stdout(&["man", "startapp"]);
    assert!(startapp.contains(".TH scaffold-startapp 1"), "{startapp}");
    // Its options only (the examples below may still mention --secret-key).
    assert!(!startapp.contains(r"\fB\-\-secret\-key\fR"), "{startapp}");
    assert!(man.contains(r"\fB\-\-secret\-key\fR"), "{man}");

    // The top-level page is still the default, and it names the subcommands' pages.
    let top = stdout(&["man"]);
    assert!(top.contains(".TH scaffold 1"), "{top}");
    assert!(top.contains("scaffold\\-startproject(1)"), "{top}");

    scaffold().args(["man", "nosuchcommand"]).assert().code(2);
}

#[test]
fn man_dir_writes_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man/man1");
    let printed = stdout(&["man", "--dir", pages.to_str().unwrap()]);
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "scaffold-completions.1",
            "scaffold-man.1",
            "scaffold-new.1",
            "scaffold-startapp.1",
            "scaffold-startproject.1",
            "scaffold-upgrade.1",
            "scaffold.1",
        ]
    );
    assert_eq!(printed.lines().count(), 7, "{printed}");
    let startproject = std::fs::read_to_string(pages.join("scaffold-startproject.1")).unwrap();
    assert_eq!(startproject, stdout(&["man", "startproject"]));
}

/// What bash completes after `words` (the last one being completed), with the script from
/// `scaffold completions bash`.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = stdout(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scaffold.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = words[cword - 1];
    let current = words[cword];
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={cword}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\n\
         COMP_POINT=${{#COMP_LINE}}\n_scaffold scaffold '{current}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        path.display(),
        quoted.join(" ")
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completion_offers_the_values_of_options() {
    assert_eq!(
        bash_completes(&["scaffold", "startproject", "mysite", "--django", ""]),
        ["5.2", "6.0", "6.1"]
    );
    assert_eq!(
        bash_completes(&["scaffold", "startapp", "blog", "--django", "6"]),
        ["6.0", "6.1"]
    );
    assert_eq!(
        bash_completes(&["scaffold", "startproject", "mysite", "--settings", ""]),
        ["single", "split"]
    );
    assert_eq!(
        bash_completes(&["scaffold", "startapp", "blog", "--output-format", ""]),
        ["text", "json"]
    );
    assert_eq!(
        bash_completes(&["scaffold", "startapp", "blog", "-v", ""]),
        ["0", "1", "2", "3"]
    );
    assert!(bash_completes(&["scaffold", "man", ""]).contains(&"startproject".to_owned()));
}
