//! The errors of the ceremony: one enum for reading the files, one for the
//! operations on them, one for checking a transcript. Every message is
//! stable; `code()` gives a machine-readable name.

/// Why a `.ptau`, `.r1cs`, `.zkey` or `.wtns` file could not be read. The
/// reader checks every length against the bytes actually present before it
/// allocates, so a hostile or truncated file gets one of these, never a
/// panic or a huge allocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The file does not start with the four-byte magic of its kind
    /// (`ptau`, `r1cs`, `zkey`, `wtns`).
    #[error("not a .{expected} file (wrong magic bytes)")]
    BadMagic {
        /// The kind that was expected.
        expected: &'static str,
    },
    /// The file's format version is one this reader does not know.
    #[error("unsupported .{kind} version {version}")]
    UnsupportedVersion {
        /// The kind of file.
        kind: &'static str,
        /// The version found.
        version: u32,
    },
    /// The bytes end before the structure they declare (a truncated file,
    /// or a section or count larger than what follows it).
    #[error("truncated: {what} runs past the end of its data")]
    Truncated {
        /// What could not be read whole.
        what: String,
    },
    /// A section the format requires is absent.
    #[error("section {id} is missing")]
    MissingSection {
        /// The section id.
        id: u32,
    },
    /// A section that must be unique appears more than once.
    #[error("section {id} appears more than once")]
    DuplicateSection {
        /// The section id.
        id: u32,
    },
    /// A section's length is not the one its header's counts imply.
    #[error("section {id} has {got} bytes, expected {expected}")]
    SectionSize {
        /// The section id.
        id: u32,
        /// The length the header implies.
        expected: u64,
        /// The length found.
        got: u64,
    },
    /// A section has bytes left over after its declared content.
    #[error("section {id} has trailing bytes")]
    TrailingBytes {
        /// The section id.
        id: u32,
    },
    /// The file is for another curve or field than BN254 (`bn128`), or
    /// declares an element size other than 32 bytes.
    #[error("not a BN254 file: {what}")]
    WrongCurve {
        /// Which field or size did not match.
        what: &'static str,
    },
    /// A coordinate or scalar is not below its field's modulus.
    #[error("{what}: not a canonical field element")]
    NonCanonical {
        /// Where.
        what: String,
    },
    /// A point is not on its curve.
    #[error("{what}: point is not on the curve")]
    NotOnCurve {
        /// Where.
        what: String,
    },
    /// A G2 point is on the twist but outside the prime-order subgroup.
    #[error("{what}: point is not in the prime-order subgroup")]
    NotInSubgroup {
        /// Where.
        what: String,
    },
    /// A value is out of the range its field allows (an index past the
    /// number of wires, a count that does not fit, an unknown parameter).
    #[error("{what}")]
    Invalid {
        /// What is wrong, in words.
        what: String,
    },
}

impl FormatError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            FormatError::BadMagic { .. } => "bad_magic",
            FormatError::UnsupportedVersion { .. } => "unsupported_version",
            FormatError::Truncated { .. } => "truncated",
            FormatError::MissingSection { .. } => "missing_section",
            FormatError::DuplicateSection { .. } => "duplicate_section",
            FormatError::SectionSize { .. } => "section_size",
            FormatError::TrailingBytes { .. } => "trailing_bytes",
            FormatError::WrongCurve { .. } => "wrong_curve",
            FormatError::NonCanonical { .. } => "non_canonical",
            FormatError::NotOnCurve { .. } => "not_on_curve",
            FormatError::NotInSubgroup { .. } => "not_in_subgroup",
            FormatError::Invalid { .. } => "invalid",
        }
    }

    pub(crate) fn truncated(what: impl Into<String>) -> Self {
        FormatError::Truncated { what: what.into() }
    }

    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        FormatError::Invalid { what: what.into() }
    }
}

/// Why a ceremony operation (`init`, `contribute`, `finalize`, the witness
/// export) could not be done.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    /// An input file is malformed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Reading a file failed.
    #[error("reading the powers of tau: {0}")]
    Io(#[from] std::io::Error),
    /// The powers of tau has too few powers for the circuit: the circuit's
    /// constraints plus public inputs need a domain of `2^needed`.
    #[error("the powers of tau has 2^{ptau_power} powers, the circuit needs 2^{needed}")]
    PtauTooSmall {
        /// Power of the circuit's domain.
        needed: u32,
        /// Power of the powers of tau.
        ptau_power: u32,
    },
    /// The circuit needs a domain larger than BN254's FFT supports (2^28).
    #[error("the circuit needs a domain of 2^{0}, more than BN254's FFT supports")]
    CircuitTooLarge(u32),
    /// A contributor's name is empty, longer than 64 characters, or has
    /// control characters (it is printed in every verification report).
    #[error("a contributor's name must be 1 to 64 printable characters")]
    BadName,
    /// The zkey has no phase-2 contribution: its `delta` is still the
    /// generator (equal to `gamma`), and anyone could forge proofs under it.
    #[error("the zkey has no phase-2 contribution: proofs could be forged under it")]
    NoContribution,
    /// The zkey's `delta` in G1 and G2 disagree, or it is not the last
    /// contribution's: the file was altered after the ceremony.
    #[error("the zkey's delta is not the one its last contribution made")]
    DeltaMismatch,
    /// The zkey is not for zkreg's predicate circuit (its sizes differ).
    #[error("the zkey is not for the predicate circuit: {0}")]
    WrongCircuit(String),
    /// The witness does not satisfy the circuit (a wrong credential or
    /// statement); no `.wtns` is written.
    #[error("the witness does not satisfy the predicate circuit")]
    Unsatisfied,
    /// Synthesising the predicate circuit failed.
    #[error("synthesising the predicate circuit: {0}")]
    Synthesis(String),
}

impl CeremonyError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CeremonyError::Format(e) => e.code(),
            CeremonyError::Io(_) => "io",
            CeremonyError::PtauTooSmall { .. } => "ptau_too_small",
            CeremonyError::CircuitTooLarge(_) => "circuit_too_large",
            CeremonyError::BadName => "bad_name",
            CeremonyError::NoContribution => "no_contribution",
            CeremonyError::DeltaMismatch => "delta_mismatch",
            CeremonyError::WrongCircuit(_) => "wrong_circuit",
            CeremonyError::Unsatisfied => "unsatisfied",
            CeremonyError::Synthesis(_) => "synthesis",
        }
    }
}

impl From<ark_relations::gr1cs::SynthesisError> for CeremonyError {
    fn from(e: ark_relations::gr1cs::SynthesisError) -> Self {
        CeremonyError::Synthesis(e.to_string())
    }
}

/// Why a ceremony transcript does not check out. Contributions are
/// numbered from 1, as snarkjs numbers them; the first bad step is named.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The r1cs, ptau or zkey could not be read, or the initial zkey could
    /// not be recomputed from them.
    #[error(transparent)]
    Ceremony(#[from] CeremonyError),
    /// Contribution `step`'s transcript hash is not the hash of the
    /// circuit, every earlier contribution and its own public key: it was
    /// made on another transcript, reordered, or altered.
    #[error("contribution #{step} ({name}): its transcript does not follow the contributions before it")]
    Transcript {
        /// 1-based position.
        step: usize,
        /// The contributor's name.
        name: String,
    },
    /// Contribution `step`'s proof of knowledge fails: its G1 and G2 public
    /// keys are not the same multiple (the contributor did not know its secret).
    #[error("contribution #{step} ({name}): its proof of knowledge of the secret does not verify")]
    ProofOfKnowledge {
        /// 1-based position.
        step: usize,
        /// The contributor's name.
        name: String,
    },
    /// Contribution `step`'s `delta` after is not the previous `delta`
    /// times the secret its public key proves knowledge of.
    #[error("contribution #{step} ({name}): its delta does not follow from the previous delta and its public key")]
    DeltaChain {
        /// 1-based position.
        step: usize,
        /// The contributor's name.
        name: String,
    },
    /// Contribution `step` is of a kind this verifier does not replay (a
    /// snarkjs random-beacon contribution, type 1).
    #[error("contribution #{step} ({name}): contributions of type {kind} are not supported")]
    UnsupportedContribution {
        /// 1-based position.
        step: usize,
        /// The contributor's name.
        name: String,
        /// The contribution type found.
        kind: u32,
    },
    /// The zkey's `delta` (G1 or G2) is not the last contribution's.
    #[error("the zkey's delta is not the one its last contribution made")]
    FinalDelta,
    /// Part of the zkey differs from the initial zkey recomputed from the
    /// r1cs and the powers of tau (`what`: the circuit hash, a header
    /// field, or a section): it is for another circuit or phase 1, or was altered.
    #[error("the zkey does not match the circuit and powers of tau: {what} differs")]
    CircuitMismatch {
        /// What differs.
        what: &'static str,
    },
    /// The `L` or `H` section is not the initial one divided by the final
    /// `delta`: the points were changed without a contribution.
    #[error("the zkey's {section} section is not the initial one divided by delta")]
    SectionNotScaled {
        /// `"L"` or `"H"`.
        section: &'static str,
    },
}

impl VerifyError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Ceremony(e) => e.code(),
            VerifyError::Transcript { .. } => "bad_transcript",
            VerifyError::ProofOfKnowledge { .. } => "bad_proof_of_knowledge",
            VerifyError::DeltaChain { .. } => "bad_delta_chain",
            VerifyError::UnsupportedContribution { .. } => "unsupported_contribution",
            VerifyError::FinalDelta => "bad_final_delta",
            VerifyError::CircuitMismatch { .. } => "circuit_mismatch",
            VerifyError::SectionNotScaled { .. } => "section_not_scaled",
        }
    }

    /// The 1-based contribution a step error names, if any.
    pub fn step(&self) -> Option<usize> {
        match self {
            VerifyError::Transcript { step, .. }
            | VerifyError::ProofOfKnowledge { step, .. }
            | VerifyError::DeltaChain { step, .. }
            | VerifyError::UnsupportedContribution { step, .. } => Some(*step),
            _ => None,
        }
    }
}

impl From<FormatError> for VerifyError {
    fn from(e: FormatError) -> Self {
        VerifyError::Ceremony(CeremonyError::Format(e))
    }
}
