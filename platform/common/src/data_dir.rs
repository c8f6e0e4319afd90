//! Each service's place in the data directory. Services never read each other's files; each
//! holds an exclusive lock on `{data_dir}/{service}.lock` while it runs, so two processes never
//! serve one service's data (the kernel drops the lock when a process dies, so a restarted
//! service takes it again at once).

use std::path::{Path, PathBuf};

/// A service's directory, locked while this value lives.
#[derive(Debug)]
pub struct ServiceDir {
    /// Where the service keeps its data.
    pub path: PathBuf,
    _lock: std::fs::File,
}

impl ServiceDir {
    /// Creates `data_dir/subdir` if needed and takes `data_dir/{service}.lock`.
    pub fn open(data_dir: &Path, service: &str, subdir: &str) -> Result<ServiceDir, String> {
        let path = data_dir.join(subdir);
        std::fs::create_dir_all(&path)
            .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
        let lock_path = data_dir.join(format!("{service}.lock"));
        let lock = std::fs::File::create(&lock_path)
            .map_err(|error| format!("cannot create {}: {error}", lock_path.display()))?;
        lock.try_lock().map_err(|_| {
            format!(
                "the {service} data in {} is in use by another octomesh-mcp process: stop it, or pass another --data-dir",
                data_dir.display()
            )
        })?;
        Ok(ServiceDir { path, _lock: lock })
    }
}

#[cfg(test)]
mod tests {
    use super::ServiceDir;

    #[test]
    fn one_process_at_a_time_per_service() {
        let dir = std::env::temp_dir().join(format!("octomesh-service-dir-{}", std::process::id()));
        let first = ServiceDir::open(&dir, "bot", "bot").expect("the first open");
        let refused = ServiceDir::open(&dir, "bot", "bot").expect_err("held");
        assert!(refused.contains("in use"), "{refused}");
        // Another service shares the data directory but not the lock.
        let other = ServiceDir::open(&dir, "reporting", "reporting").expect("another service");
        drop((first, other));
        ServiceDir::open(&dir, "bot", "bot").expect("released on drop");
        let _ = std::fs::remove_dir_all(dir);
    }
}
