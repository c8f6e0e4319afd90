//! Embeds the built-in CK libraries (System, System.StreamData, System.Bot), the demo library and the service-managed System.Reporting so the binary needs no files at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// (name, folder under `fixtures/`): the built-in libraries, then the demo library of `up --demo`, then the
/// service-managed libraries a service installs on demand.
const EMBEDDED: [(&str, &str); 5] = [
    ("System", "octomesh/ck/System"),
    ("System.StreamData", "octomesh/ck/System.StreamData"),
    ("System.Bot", "System.Bot"),
    ("Demo", "demo"),
    ("System.Reporting", "System.Reporting"),
];

fn main() {
    let root = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let mut code = String::from(
        "/// The built-in libraries as (name, [(relative path, text)]), in dependency order.\n",
    );
    code.push_str("pub(crate) const BUILTIN_LIBRARIES: &[(&str, &[(&str, &str)])] = &[\n");
    for (name, folder) in EMBEDDED {
        let dir = root.join("fixtures").join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect(&dir, &mut files);
        files.sort();
        let _ = writeln!(code, "    ({name:?}, &[");
        for file in files {
            let relative = file
                .strip_prefix(&dir)
                .expect("inside the library")
                .to_string_lossy()
                .replace('\\', "/");
            let _ = writeln!(
                code,
                "        ({relative:?}, include_str!({:?})),",
                file.display().to_string()
            );
        }
        code.push_str("    ]),\n");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_libraries.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("the library folder exists")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if matches!(
            path.extension().and_then(|ext| ext.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            files.push(path);
        }
    }
}
