//! The iden3 `.wtns` format (version 2): section 1 `n8 = 32`, the prime
//! `r` and the witness count; section 2 the values, standard
//! little-endian, in wire order (wire 0 is the constant one). With the
//! ceremony's `.zkey` it is what snarkjs's and rapidsnark's provers take.

use std::io::Cursor as IoCursor;

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode};
use zkreg_circuits::predicate::shape::PredicateShape;
use zkreg_circuits::predicate::PredicateCircuit;

use super::binfile::{BinReader, BinWriter, Cursor};
use super::error::{CeremonyError, FormatError};
use super::points::{fr_from_le, put_fr_le, FIELD_BYTES};
use super::r1cs::{check_field_header, modulus_le, R1cs};

const MAGIC: &str = "wtns";

/// The `.wtns` bytes of `witness`.
pub fn write_wtns(witness: &[Fr]) -> Vec<u8> {
    let mut header = Vec::new();
    header.extend_from_slice(&(FIELD_BYTES as u32).to_le_bytes());
    header.extend_from_slice(&modulus_le::<Fr>());
    header.extend_from_slice(&(witness.len() as u32).to_le_bytes());
    let mut values = Vec::with_capacity(witness.len() * FIELD_BYTES);
    witness.iter().for_each(|x| put_fr_le(x, &mut values));
    let mut w = BinWriter::new(MAGIC, 2, 2);
    w.section(1, &header);
    w.section(2, &values);
    w.finish()
}

/// Reads a `.wtns` file.
pub fn read_wtns(bytes: &[u8]) -> Result<Vec<Fr>, FormatError> {
    let mut file = BinReader::open(IoCursor::new(bytes), MAGIC, 2)?;
    let header = file.read_section(1)?;
    let mut h = Cursor::new(&header, 1);
    check_field_header(&mut h)?;
    let count = h.u32()?;
    h.finish()?;
    let values = file.read_section(2)?;
    let mut v = Cursor::new(&values, 2);
    let n = v.check_count(count as u64, FIELD_BYTES as u64, "witness")?;
    let out = (0..n).map(|i| fr_from_le(v.take(FIELD_BYTES)?, &|| format!("witness {i}"))).collect::<Result<Vec<_>, _>>()?;
    v.finish()?;
    Ok(out)
}

/// The full witness of a predicate circuit in `.r1cs` wire order
/// (the one, the nine public inputs, then the private variables), checked
/// against the circuit's constraints. The wallet builds `circuit` for a
/// credential and a request (`zkreg_prover::PredicateProver::circuit_for`).
///
/// The witness holds the holder's secret and credential: it is as
/// sensitive as the credential file.
pub fn predicate_witness(circuit: PredicateCircuit) -> Result<Vec<Fr>, CeremonyError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
    circuit.generate_constraints(cs.clone())?;
    let full = {
        let inner = cs.borrow().ok_or_else(|| CeremonyError::Synthesis("constraint system in use".into()))?;
        [inner.instance_assignment()?, inner.witness_assignment()?].concat()
    };
    let r1cs = R1cs::from_shape(&PredicateShape::synthesise()?);
    if !r1cs.is_satisfied(&full) {
        return Err(CeremonyError::Unsatisfied);
    }
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_files() {
        let w = vec![Fr::from(1u64), Fr::from(42u64), -Fr::from(1u64)];
        let bytes = write_wtns(&w);
        assert_eq!(read_wtns(&bytes).unwrap(), w);
        for cut in [0, 12, 30, bytes.len() - 1] {
            assert!(read_wtns(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // A count larger than the values present.
        let mut more = bytes.clone();
        let at = 12 + 12 + 4 + 32;
        more[at..at + 4].copy_from_slice(&4u32.to_le_bytes());
        assert!(matches!(read_wtns(&more), Err(FormatError::Truncated { .. })));
        // r itself as a value.
        let mut big = bytes.clone();
        let last = big.len() - 32;
        big[last..].copy_from_slice(&modulus_le::<Fr>());
        assert!(matches!(read_wtns(&big), Err(FormatError::NonCanonical { .. })));
    }
}
