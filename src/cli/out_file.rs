//! A file a command writes whole for the operator (`claim export --out`, `campaign report
//! --html`, `simulate --html`): opened before the work starts, so a bad path fails first and
//! writes nothing, and in place only once complete.

use std::io::Write;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::domain::{Invalid, shown};

/// Where the output goes.
pub(crate) struct OutFile {
    path: PathBuf,
    target: Target,
}

enum Target {
    /// A regular file, or nothing yet: the output goes to a temporary file beside it, created
    /// exclusively under a random name (nothing another user planted is opened or followed),
    /// and renamed over the target once complete, with the target's permissions if it had any.
    /// Dropped unfinished, the temporary file is deleted: a failure leaves no half file and
    /// any earlier file as it was.
    Replace {
        file: tempfile::NamedTempFile,
        permissions: Option<std::fs::Permissions>,
    },
    /// A character device or a named pipe (`/dev/stdout`, a FIFO a program reads): written
    /// through, never replaced by a regular file.
    Through(std::fs::File),
}

impl OutFile {
    /// Opens `path`, the value of `flag`; refuses a symbolic link (the operator names the file
    /// itself, and a link planted in a shared directory must not redirect the output), a
    /// directory and anything else that is neither a file, a device nor a pipe.
    pub(crate) fn open(path: &Path, flag: &'static str) -> anyhow::Result<OutFile> {
        let refused = |what: &str| {
            anyhow::Error::from(crate::Error::from(Invalid::new(
                flag,
                format!("`{}` is {what}", shown(&path.display().to_string())),
            )))
        };
        let permissions = match std::fs::symlink_metadata(path) {
            Ok(meta) => {
                let kind = meta.file_type();
                if kind.is_symlink() {
                    return Err(refused(
                        "a symbolic link; name the file it points to instead",
                    ));
                }
                if kind.is_char_device() || kind.is_fifo() {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(path)
                        .with_context(|| format!("opening {}", path.display()))?;
                    return Ok(OutFile {
                        path: path.to_owned(),
                        target: Target::Through(file),
                    });
                }
                if !kind.is_file() {
                    return Err(refused(
                        "not a regular file, a device or a pipe; name a file to write",
                    ));
                }
                Some(std::fs::Permissions::from_mode(
                    meta.permissions().mode() & 0o7777,
                ))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => {
                return Err(anyhow::Error::from(err).context(format!("reading {}", path.display())));
            }
        };
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(refused(&format!(
                "in `{}`, which is not an existing folder",
                shown(&dir.display().to_string())
            )));
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        if permissions.is_none() {
            // A new file gets the permissions any new file gets (0666 less the umask).
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let file = builder
            .tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        Ok(OutFile {
            path: path.to_owned(),
            target: Target::Replace { file, permissions },
        })
    }

    /// Puts the complete output in place: synced and renamed over the target (a device or a
    /// pipe is only flushed).
    pub(crate) fn finish(self) -> std::io::Result<()> {
        match self.target {
            Target::Replace { file, permissions } => {
                if let Some(permissions) = permissions {
                    file.as_file().set_permissions(permissions)?;
                }
                file.as_file().sync_all()?;
                file.persist(&self.path).map_err(|err| err.error)?;
                Ok(())
            }
            Target::Through(mut file) => file.flush(),
        }
    }

    /// Writes `bytes` and puts them in place; an error names the file.
    pub(crate) fn write_whole(mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path.clone();
        let context = || format!("writing {}", path.display());
        self.write_all(bytes).with_context(context)?;
        self.finish().with_context(context)
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.target {
            Target::Replace { file, .. } => file.write(buf),
            Target::Through(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.target {
            Target::Replace { file, .. } => file.flush(),
            Target::Through(file) => file.flush(),
        }
    }
}
