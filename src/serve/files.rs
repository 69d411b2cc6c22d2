//! Two file operations every part of the service needs: a file written whole or not at all,
//! and a free name in a folder.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a temporary file in the same folder (synced to disk), then
/// renames it over `path`: a process killed at any point leaves the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = File::create(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path)
}

/// `dir/name` if no file has that name, else `dir/STEM-2.EXT`, `-3`, ...
pub fn free_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    (2u64..).map(|n| dir.join(format!("{stem}-{n}{ext}"))).find(|p| !p.exists()).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_count_up_and_writes_replace_whole() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        assert_eq!(free_name(dir.path(), "m.csv"), dir.path().join("m.csv"));
        write_atomic(&dir.path().join("m.csv"), b"x")?;
        write_atomic(&dir.path().join("m-2.csv"), b"x")?;
        assert_eq!(free_name(dir.path(), "m.csv"), dir.path().join("m-3.csv"));
        write_atomic(&dir.path().join("m.csv"), b"yz")?;
        assert_eq!(std::fs::read(dir.path().join("m.csv"))?, b"yz");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 2, "no temporary file left");
        Ok(())
    }
}
