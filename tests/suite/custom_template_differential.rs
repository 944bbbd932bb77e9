//! Differential test: hundreds of generated templates (random filter chains over most built-in
//! filters, `if` expressions with every operator and precedence mix, loops, `with`, `firstof`,
//! `cycle`, `ifchanged`, `spaceless`, `filter`, `widthratio`, `lorem`, `now`, `autoescape`,
//! literal tags) rendered by scaffold and by the real Django 5.2 in the venv must be
//! byte-identical.

use std::fmt::Write as _;
use std::fs;

use crate::support;

/// A small deterministic generator (xorshift64*), so that a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Operands that resolve to strings (safe for `first`/`last`).
const STRINGS: &[&str] = &[
    "project_name",
    "camel_case_project_name",
    "docs_version",
    "'mysite'",
    "\"Hello World\"",
    "''",
    "'it\\'s 2nd'",
    "\"ÉCOLE  d'été--x\"",
    "project_name.upper",
    "project_name.0",
    "extensions.0",
    "\"<a href='x'>&amp; \\\"q\\\"</a>\"",
    "'one two three four five six'",
];
const OTHERS: &[&str] = &[
    "nope",
    "nope.attr",
    "1",
    "0",
    "-3",
    "2.5",
    "True",
    "False",
    "None",
    "extensions",
    "files",
];
const STRING_FILTERS: &[&str] = &[
    "lower",
    "upper",
    "title",
    "capfirst",
    "slugify",
    "first",
    "last",
    "safe",
    "phone2numeric",
    "make_list",
    "wordwrap:5",
    "truncatewords:2",
];
const ANY_FILTERS: &[&str] = &[
    "length",
    "default:'dflt'",
    "default:project_name",
    "default_if_none:'none'",
    "cut:'s'",
    "join:'-'",
    "lower",
    "upper",
    "title",
    "truncatechars:5",
    "truncatechars:'x'",
    "slice:':-3'",
    "slice:'1::2'",
    "wordcount",
    "center:12",
    "ljust:8",
    "rjust:8",
    "addslashes",
    "escape",
    "force_escape",
    "linebreaksbr",
    "linenumbers",
    "escapejs",
    "iriencode",
    "urlencode",
    "yesno",
    "yesno:'y,n'",
    "pluralize",
    "pluralize:'y,ies'",
    "stringformat:'s'",
    "stringformat:'05d'",
    "stringformat:'.2f'",
    "floatformat",
    "floatformat:2",
    "add:'x'",
    "add:2",
    "filesizeformat",
    "length",
];
const COMPARISONS: &[&str] = &["==", "!=", "<", ">", "<=", ">=", "in", "not in"];

fn operand(rng: &mut Rng) -> String {
    let mut text;
    let mut stringy = rng.chance(60);
    text = if stringy {
        rng.pick(STRINGS).to_owned()
    } else {
        rng.pick(OTHERS).to_owned()
    };
    for _ in 0..rng.next() % 3 {
        let filter = if stringy && rng.chance(50) {
            rng.pick(STRING_FILTERS)
        } else {
            rng.pick(ANY_FILTERS)
        };
        stringy = stringy && !matches!(filter, "length" | "make_list" | "wordcount" | "add:2");
        text.push('|');
        text.push_str(filter);
    }
    text
}

fn condition(rng: &mut Rng, depth: u32) -> String {
    let mut out = String::new();
    if rng.chance(25) {
        out.push_str("not ");
    }
    if depth > 0 && rng.chance(40) {
        let op = rng.pick(&["and", "or"]);
        return format!(
            "{out}{} {op} {}",
            condition(rng, depth - 1),
            condition(rng, depth - 1)
        );
    }
    if rng.chance(60) {
        let op = rng.pick(COMPARISONS);
        return format!("{out}{} {op} {}", operand(rng), operand(rng));
    }
    if rng.chance(20) {
        let op = rng.pick(&["is", "is not"]);
        return format!(
            "{out}{} {op} {}",
            operand(rng),
            rng.pick(&["None", "True", "False"])
        );
    }
    out + &operand(rng)
}

fn line(rng: &mut Rng) -> String {
    match rng.next() % 14 {
        0 | 1 => format!("[{{{{ {} }}}}]", operand(rng)),
        2 => format!("{{% if {} %}}T{{% else %}}F{{% endif %}}", condition(rng, 2)),
        3 => format!(
            "{{% if {} %}}a{{% elif {} %}}b{{% elif {} %}}c{{% endif %}}",
            condition(rng, 1),
            condition(rng, 1),
            condition(rng, 1)
        ),
        4 => format!(
            "{{% for x in {} %}}{{{{ forloop.counter0 }}}}{{{{ x }}}}{{% if forloop.last %}}.{{% endif %}}{{% empty %}}E{{% endfor %}}",
            rng.pick(&["project_name", "extensions", "nope", "'ab'", "files", "project_name|slugify"])
        ),
        5 => format!(
            "{{# {} #}}{{% templatetag {} %}}{{% comment %}}{{{{ x }}}}{{% endcomment %}}",
            operand(rng),
            rng.pick(&["openblock", "closeblock", "openvariable", "closevariable", "openbrace", "closebrace", "opencomment", "closecomment"])
        ),
        6 => format!("{{% verbatim %}}{{{{ {} }}}}{{% endverbatim %}} plain {{ text }}", operand(rng)),
        7 => format!(
            "{{% with a={} b={} %}}{{{{ a }}}}|{{{{ b }}}}{{% endwith %}}{{% with {} as c %}}{{{{ c|length }}}}{{% endwith %}}",
            operand(rng),
            operand(rng),
            operand(rng)
        ),
        8 => format!(
            "{{% firstof {} {} 'fallback' %}}{{% firstof nope {} as fv %}}<{{{{ fv }}}}>",
            operand(rng),
            operand(rng),
            operand(rng)
        ),
        9 => format!(
            "{{% for x in {} %}}{{% cycle 'a' {} 'c' as cy %}}{{{{ cy|upper }}}}{{% ifchanged %}}{{{{ forloop.counter|divisibleby:2 }}}}{{% endifchanged %}}{{% endfor %}}{{% cycle 'p' 'q' as named silent %}}{{% cycle named %}}{{% resetcycle named %}}{{% cycle named %}}",
            rng.pick(&["project_name", "extensions", "'abcab'"]),
            operand(rng)
        ),
        10 => format!(
            "{{% spaceless %}} <p> <b>{{{{ {} }}}}</b> </p> {{% endspaceless %}}{{% filter {} %}}{{{{ {} }}}} Text{{% endfilter %}}",
            operand(rng),
            rng.pick(&["upper", "lower|title", "truncatechars:4", "cut:'e'|center:9"]),
            operand(rng)
        ),
        11 => format!(
            "{{% widthratio {} {} {} %}}/{{% widthratio 175 200 100 %}}/{{% widthratio 5 0 100 %}}",
            rng.pick(&["1", "2.5", "-3", "'7'", "nope", "True"]),
            rng.pick(&["3", "0", "2.5", "'x'"]),
            rng.pick(&["100", "10", "0"])
        ),
        12 => format!(
            "{{% lorem {} %}}|{{% now \"Y\" %}}|{{% now \"DATE_FORMAT\" as today %}}{{{{ today|length|divisibleby:1 }}}}",
            rng.pick(&["", "3 w", "1 p", "0 b", "19 w"])
        ),
        _ => format!(
            "{{% autoescape on %}}{{{{ {} }}}}{{{{ {}|safe }}}}{{% endautoescape %}}{{% autoescape off %}}{{{{ {} }}}}{{% endautoescape %}}",
            operand(rng),
            operand(rng),
            operand(rng)
        ),
    }
}

#[test]
fn generated_templates_render_as_django_renders_them() {
    if support::python_opted_out("generated_templates_render_as_django_renders_them") {
        return;
    }
    let tpl = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    for i in 0..1000 {
        let mut text = String::new();
        for _ in 0..8 {
            let _ = writeln!(text, "{}", line(&mut rng));
        }
        fs::write(tpl.path().join(format!("t{i:04}.py")), text).unwrap();
    }
    let (ours, theirs) = support::render_with_scaffold_and_django(tpl.path());
    assert_eq!(ours.len(), theirs.len());
    for (path, (_, bytes)) in &theirs {
        let source = fs::read_to_string(tpl.path().join(path)).unwrap();
        let mine = String::from_utf8_lossy(&ours[path].1).into_owned();
        let want = String::from_utf8_lossy(bytes).into_owned();
        for ((src, a), b) in source.lines().zip(mine.lines()).zip(want.lines()) {
            assert_eq!(a, b, "{path}: {src}");
        }
        assert_eq!(mine, want, "{path}");
    }
}
