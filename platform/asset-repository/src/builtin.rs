//! The CK libraries every tenant starts with, embedded in the binary from `platform/fixtures`:
//! upstream's `System` and `System.StreamData`, and our `System.Bot` (the bot's `Fixup` type).

use std::path::PathBuf;

use crate::ck::load::LibraryFiles;

include!(concat!(env!("OUT_DIR"), "/builtin_libraries.rs"));

/// `System`, `System.StreamData` and `System.Bot`, in dependency order, as library files.
pub fn builtin_libraries() -> Vec<LibraryFiles> {
    BUILTIN_LIBRARIES
        .iter()
        .filter(|(name, _)| *name != DEMO && !SERVICE_MANAGED.contains(name))
        .map(library)
        .collect()
}

/// The libraries a service installs in a tenant when it is switched on there (reporting's).
pub const SERVICE_MANAGED: [&str; 1] = ["System.Reporting"];

/// The service-managed library `name`, if it is one.
pub fn service_managed_library(name: &str) -> Option<LibraryFiles> {
    SERVICE_MANAGED.contains(&name).then(|| {
        BUILTIN_LIBRARIES
            .iter()
            .find(|(embedded, _)| *embedded == name)
            .map(library)
            .expect("build.rs embeds every service-managed library")
    })
}

/// The name of the demo library (`platform/fixtures/demo`).
pub const DEMO: &str = "Demo";

/// The demo library of `up --demo`: sites, machines, sensors.
pub fn demo_library() -> LibraryFiles {
    BUILTIN_LIBRARIES
        .iter()
        .find(|(name, _)| *name == DEMO)
        .map(library)
        .expect("build.rs embeds the demo library")
}

fn library((name, files): &(&str, &[(&str, &str)])) -> LibraryFiles {
    LibraryFiles {
        root: PathBuf::from(format!("builtin:{name}")),
        files: files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ck::catalog::CkCatalog;
    use crate::ck::load::load;

    #[test]
    fn the_embedded_libraries_are_the_fixture_libraries_and_install() {
        let libraries = builtin_libraries();
        let mut catalog = CkCatalog::new();
        for library in &libraries {
            let name = library
                .root
                .to_string_lossy()
                .trim_start_matches("builtin:")
                .to_owned();
            let folder = match name.as_str() {
                "System.Bot" => crate::ck::tests::fixtures().join("../../System.Bot"),
                _ => crate::ck::tests::fixtures().join(&name),
            };
            let on_disk = LibraryFiles::read_dir(&folder).unwrap();
            let relevant: Vec<_> = on_disk
                .files
                .keys()
                .filter(|path| !path.starts_with("migrations"))
                .collect();
            assert!(
                relevant
                    .iter()
                    .all(|path| library.files.contains_key(*path)),
                "{name}: every file is embedded"
            );
            catalog.import(load(library).unwrap()).unwrap();
        }
        assert_eq!(
            catalog.model("System").unwrap().model.id.to_string(),
            "System-2.2.2"
        );
        assert_eq!(
            catalog
                .model("System.StreamData")
                .unwrap()
                .model
                .id
                .to_string(),
            "System.StreamData-1.7.1"
        );
        assert_eq!(
            catalog.model("System.Bot").unwrap().model.id.to_string(),
            "System.Bot-3.1.1"
        );
    }
}
