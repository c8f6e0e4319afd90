//! Small CK and runtime-model files that several scenarios import.

/// A compiled CK library with one type, `Tiny/Gadget`, depending on System.
pub const TINY_LIBRARY: &str = r#"
modelId: Tiny-1.0.0
description: One type, compiled into a single file.
dependencies: ["System-[2.0,3.0)"]
attributes:
  - id: Label
    valueType: String
types:
  - typeId: Gadget
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Label
        name: Label
"#;

/// Two `Tiny/Gadget` entities as a runtime-model file.
pub const GADGETS: &str = r#"
dependencies:
  - Tiny-[1.0,2.0)
entities:
  - rtId: 65a000000000000000000001
    ckTypeId: Tiny/Gadget-1
    attributes:
      - id: Tiny/Label
        value: first
  - rtId: 65a000000000000000000002
    ckTypeId: Tiny/Gadget-1
    attributes:
      - id: Tiny/Label
        value: second
"#;
