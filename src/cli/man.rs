//! `scaffold man`: the man pages (roff) that clap_mangen makes from the arguments, printed one at
//! a time or written all into a directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use scaffold::{report, Error};

use super::args::{Cli, OutputFormat};
use super::{Failure, Outcome};

/// `scaffold man [COMMAND]` prints one page; `scaffold man --dir DIR` writes them all.
pub(crate) fn man(command: Option<&str>, dir: Option<&Path>) -> Result<Outcome, Failure> {
    write(command, dir).map_err(|e| Failure::Refused(e, OutputFormat::Text))?;
    Ok(Outcome::Done)
}

fn write(command: Option<&str>, dir: Option<&Path>) -> Result<(), Error> {
    // Built once as a whole, so that each subcommand's page is named scaffold-NAME and its
    // synopsis reads `scaffold NAME`.
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
        let pages = std::iter::once(cli.clone()).chain(cli.get_subcommands().cloned());
        let mut out = std::io::stdout().lock();
        for page in pages {
            let path = write_page(dir, clap_mangen::Man::new(page))?;
            let _ = writeln!(out, "{}", report::terminal(&path.display().to_string()));
        }
        return Ok(());
    }
    // clap has checked the name against SUBCOMMANDS.
    let page = match command.and_then(|name| cli.find_subcommand(name).cloned()) {
        Some(sub) => sub,
        None => cli,
    };
    clap_mangen::Man::new(page)
        .render(&mut std::io::stdout())
        .map_err(Error::io("cannot print the man page to", "stdout"))
}

/// Writes one page into `dir` through a new file renamed over the page's name: a link, fifo or
/// device already there is replaced, never written through or waited on, and a reader never
/// sees half a page.
fn write_page(dir: &Path, man: clap_mangen::Man) -> Result<PathBuf, Error> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(man.get_filename());
    let failed = Error::io("cannot write a man page into", dir);
    let mut page = Vec::new();
    let written = man.render(&mut page).and_then(|()| {
        let mut file = tempfile::Builder::new()
            .prefix(".scaffold-man-")
            .tempfile_in(dir)?;
        file.write_all(&page)?;
        let mode = 0o644 & !report::umask();
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    });
    written.map_err(failed)?;
    Ok(path)
}
