//! The registry of diagnostic codes. A code is never reused: retired codes are listed in
//! `docs/errors.md` (W003).
//! `docs/errors.md` documents each code with an example and the fix; a test keeps the two in step.

/// A stable diagnostic code, rendered as `oam::E021` or `oam::W001`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Code {
    /// An input path cannot be read: it does not exist, is not readable, or is not UTF-8.
    UnreadableInput,
    /// The text is not valid YAML (or JSON).
    YamlSyntax,
    /// A document is not a mapping (a list or a scalar at the top level).
    DocumentNotObject,
    /// A document has no `apiVersion` or no `kind`.
    MissingTypeMeta,
    /// An OAM API group object names a version oam does not know.
    UnknownOamVersion,
    /// A known OAM version with a kind it does not have.
    UnknownOamKind,
    /// An input exceeds a budget: file size, documents, nesting depth or alias expansion.
    InputBudget,
    /// The inputs hold no objects at all (an empty file, a directory without YAML).
    NoInput,
    /// A file or folder name holds a control, line-break or bidi character, or is not UTF-8.
    UnsafeFileName,
    /// A field has the wrong type (a list where a string is expected, say).
    WrongType,
    /// A required field is missing.
    MissingField,
    /// Two objects of one kind share a name.
    DuplicateName,
    /// A name is not a valid DNS-1123 name, so it cannot become an object or file name.
    InvalidName,
    /// Two keys of one mapping are equal (as written, or once read).
    DuplicateKey,
    /// A ConfigMap or Secret `data`/`stringData` value is not a string.
    NonStringData,
    /// `--app` names no app among the inputs.
    UnknownApp,
    /// `componentName` names no Component.
    UnknownComponent,
    /// Two traits on one component conflict (`conflictsWith`, either side).
    TraitConflict,
    /// A trait's `appliesToWorkloads` does not include the component's workload type.
    TraitNotApplicable,
    /// A parameter value names a parameter the component does not declare.
    UndeclaredParameter,
    /// A `required` parameter has no value.
    MissingParameter,
    /// A scope reference names no scope object.
    UnknownScope,
    /// An application component gives both `componentName` and `revisionName`, or neither.
    ComponentRefShape,
    /// `revisionName` does not match the revision oam computes for the component.
    RevisionMismatch,
    /// A typed workload (`type: NAME`) or named trait names no definition.
    UnknownDefinition,
    /// One trait type is bound twice to one component.
    DuplicateTrait,
    /// A `revisionEnabled` trait is bound to a component whose workload fixes its own name.
    NamedRevisionWorkload,
    /// A `conflictsWith` rule cannot be parsed.
    InvalidConflictRule,
    /// A data input names no data output of its app.
    UnknownDataOutput,
    /// Two data outputs of one app share a name.
    DuplicateDataOutput,
    /// Components depend on each other in a cycle.
    DependencyCycle,
    /// `--env` names an environment an Application does not declare.
    UnknownEnvironment,
    /// A deploy step names a policy the Application does not declare.
    UnknownPolicy,
    /// `[fromVariable(NAME)]` names no variable of the ApplicationConfiguration (v1alpha1).
    UnknownVariable,
    /// A workload its type does not allow (a v1alpha1 Worker that declares a port).
    WorkloadInvalid,
    /// A field path is malformed.
    InvalidFieldPath,
    /// A value cannot be written at a field path (it runs through a scalar or a list index).
    FieldPathNotSettable,
    /// A definition needs a CustomResourceDefinition or API version oam cannot find.
    UnresolvableType,
    /// A definition's template does not compile, fails while rendering, or runs out of fuel.
    TemplateError,
    /// A template rendered something that is not Kubernetes objects (or a trait's patch).
    TemplateOutput,
    /// A definition's parameter schema is not a valid JSON Schema.
    SchemaInvalid,
    /// A parameter value violates its definition's schema.
    ParameterInvalid,
    /// A parameter the definition's schema does not declare.
    UnknownProperty,
    /// A definition's schematic is Helm or another engine oam does not render, or CUE that
    /// uses a construct or function oam's evaluator does not implement.
    UnsupportedSchematic,
    /// A definition's CUE template does not parse.
    CueSyntax,
    /// A definition's CUE template does not evaluate: a conflict, a failed constraint, an
    /// incomplete output, or an error it reports itself (`errs`).
    CueEvaluation,
    /// A `.cue` file among the inputs is skipped: it does not parse, or is no definition.
    CueFileSkipped,
    /// A KubeVela Application binds a trait to a workload its appliesToWorkloads does not list
    /// (KubeVela renders it).
    TraitMayNotApply,
    /// A `+patchStrategy=jsonPatch` or `jsonMergePatch` tag on a field other than `patch`,
    /// where KubeVela reads no such strategy (often above `patch: a: b:`, whose comments CUE
    /// gives to the innermost field).
    PatchStrategyOutOfPlace,
    /// A `+patchKey` or `+patchStrategy` tag KubeVela ignores: a name in another case, an
    /// unknown strategy, a value of several words.
    PatchTagIgnored,
    /// Two rendered objects have the same kind, namespace and name.
    DuplicateObject,
    /// `render --check DIR`: the directory differs from what the inputs render.
    OutputDrift,
    /// The output cannot be written.
    OutputError,
    /// The output directory holds files oam did not write.
    OutputNotOwned,
    /// `-o` would overwrite a file that oam did not write.
    OutputClash,
    /// The rendered output of a run exceeds its budget.
    OutputBudget,
    /// The process's memory passed `--max-memory` (the watchdog's backstop).
    MemoryBudget,
    /// A template use ran past `--max-template-time` (the watchdog's backstop).
    TemplateTime,
    /// A scope that does not allow overlap holds a component that another scope of its kind holds.
    ScopeOverlap,
    /// A field oam does not know; often a typo.
    UnknownField,
    /// A trait has no definition, so appliesTo, conflict and workloadRef checks are skipped.
    TraitWithoutDefinition,
    /// A data output's value exists only at run time (`status.*`, or absent from the rendered object).
    RuntimeValue,
    /// Something that acts only in a running cluster (a workflow step definition, a policy type
    /// oam does not apply) is left out.
    NotRendered,
    /// A v1alpha1 parameter value names no parameter of its ComponentSchematic; rudr ignored it.
    IgnoredParameterValue,
    /// A plain scalar that YAML 1.1 and YAML 1.2 readers read differently (`yes`, `on`, `0755`).
    AmbiguousScalar,
    /// The output is in place, but what the previous run left could not be removed.
    OutputLeftover,
}

impl Code {
    /// Every code, in the order of `docs/errors.md`.
    #[cfg(test)]
    pub(crate) const ALL: &'static [Code] = &[
        Code::UnreadableInput,
        Code::YamlSyntax,
        Code::DocumentNotObject,
        Code::MissingTypeMeta,
        Code::UnknownOamVersion,
        Code::UnknownOamKind,
        Code::InputBudget,
        Code::NoInput,
        Code::UnsafeFileName,
        Code::WrongType,
        Code::MissingField,
        Code::DuplicateName,
        Code::InvalidName,
        Code::DuplicateKey,
        Code::NonStringData,
        Code::UnknownApp,
        Code::UnknownComponent,
        Code::TraitConflict,
        Code::TraitNotApplicable,
        Code::UndeclaredParameter,
        Code::MissingParameter,
        Code::UnknownScope,
        Code::ComponentRefShape,
        Code::RevisionMismatch,
        Code::UnknownDefinition,
        Code::DuplicateTrait,
        Code::NamedRevisionWorkload,
        Code::InvalidConflictRule,
        Code::UnknownDataOutput,
        Code::DuplicateDataOutput,
        Code::DependencyCycle,
        Code::UnknownEnvironment,
        Code::UnknownPolicy,
        Code::UnknownVariable,
        Code::WorkloadInvalid,
        Code::InvalidFieldPath,
        Code::FieldPathNotSettable,
        Code::UnresolvableType,
        Code::TemplateError,
        Code::TemplateOutput,
        Code::SchemaInvalid,
        Code::ParameterInvalid,
        Code::UnknownProperty,
        Code::UnsupportedSchematic,
        Code::CueSyntax,
        Code::CueEvaluation,
        Code::CueFileSkipped,
        Code::TraitMayNotApply,
        Code::PatchStrategyOutOfPlace,
        Code::PatchTagIgnored,
        Code::DuplicateObject,
        Code::OutputError,
        Code::OutputNotOwned,
        Code::OutputDrift,
        Code::OutputClash,
        Code::OutputBudget,
        Code::MemoryBudget,
        Code::TemplateTime,
        Code::ScopeOverlap,
        Code::UnknownField,
        Code::TraitWithoutDefinition,
        Code::RuntimeValue,
        Code::NotRendered,
        Code::IgnoredParameterValue,
        Code::AmbiguousScalar,
        Code::OutputLeftover,
    ];

    /// The stable text of the code, e.g. `oam::E021`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::UnreadableInput => "oam::E001",
            Code::YamlSyntax => "oam::E002",
            Code::DocumentNotObject => "oam::E003",
            Code::MissingTypeMeta => "oam::E004",
            Code::UnknownOamVersion => "oam::E005",
            Code::UnknownOamKind => "oam::E006",
            Code::InputBudget => "oam::E007",
            Code::NoInput => "oam::E008",
            Code::UnsafeFileName => "oam::E009",
            Code::WrongType => "oam::E010",
            Code::MissingField => "oam::E011",
            Code::DuplicateName => "oam::E012",
            Code::InvalidName => "oam::E013",
            Code::DuplicateKey => "oam::E014",
            Code::NonStringData => "oam::E015",
            Code::UnknownApp => "oam::E016",
            Code::UnknownComponent => "oam::E020",
            Code::TraitConflict => "oam::E021",
            Code::TraitNotApplicable => "oam::E022",
            Code::UndeclaredParameter => "oam::E023",
            Code::MissingParameter => "oam::E024",
            Code::UnknownScope => "oam::E025",
            Code::ComponentRefShape => "oam::E026",
            Code::RevisionMismatch => "oam::E027",
            Code::UnknownDefinition => "oam::E028",
            Code::DuplicateTrait => "oam::E029",
            Code::NamedRevisionWorkload => "oam::E030",
            Code::InvalidConflictRule => "oam::E031",
            Code::ScopeOverlap => "oam::E032",
            Code::UnknownDataOutput => "oam::E033",
            Code::DuplicateDataOutput => "oam::E034",
            Code::DependencyCycle => "oam::E035",
            Code::UnknownEnvironment => "oam::E036",
            Code::UnknownPolicy => "oam::E037",
            Code::UnknownVariable => "oam::E038",
            Code::WorkloadInvalid => "oam::E039",
            Code::InvalidFieldPath => "oam::E040",
            Code::FieldPathNotSettable => "oam::E041",
            Code::UnresolvableType => "oam::E042",
            Code::TemplateError => "oam::E060",
            Code::TemplateOutput => "oam::E061",
            Code::SchemaInvalid => "oam::E062",
            Code::ParameterInvalid => "oam::E063",
            Code::UnknownProperty => "oam::E064",
            Code::UnsupportedSchematic => "oam::E065",
            Code::CueSyntax => "oam::E066",
            Code::CueEvaluation => "oam::E067",
            Code::CueFileSkipped => "oam::W009",
            Code::TraitMayNotApply => "oam::W010",
            Code::PatchStrategyOutOfPlace => "oam::W011",
            Code::PatchTagIgnored => "oam::W012",
            Code::DuplicateObject => "oam::E050",
            Code::OutputError => "oam::E051",
            Code::OutputNotOwned => "oam::E052",
            Code::OutputDrift => "oam::E053",
            Code::OutputClash => "oam::E054",
            Code::OutputBudget => "oam::E055",
            Code::MemoryBudget => "oam::E056",
            Code::TemplateTime => "oam::E057",
            Code::UnknownField => "oam::W001",
            Code::TraitWithoutDefinition => "oam::W002",
            Code::RuntimeValue => "oam::W004",
            Code::NotRendered => "oam::W005",
            Code::IgnoredParameterValue => "oam::W006",
            Code::AmbiguousScalar => "oam::W007",
            Code::OutputLeftover => "oam::W008",
        }
    }

    /// Warnings are codes `W…`; `--strict` turns them into errors.
    pub(crate) fn is_warning(self) -> bool {
        self.as_str().as_bytes()[5] == b'W'
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn codes_are_unique_and_documented() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md"))
            .expect("docs/errors.md exists");
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "{} is used twice",
                code.as_str()
            );
            assert!(
                docs.contains(&format!("## {}", code.as_str())),
                "docs/errors.md has no section for {}",
                code.as_str()
            );
        }
    }
}
