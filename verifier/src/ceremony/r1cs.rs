//! The iden3 `.r1cs` format (version 1), as circom writes it and snarkjs
//! reads it: section 1 the header (`n8`, the prime `r`, wire counts, label
//! count, constraint count), section 2 the constraints (for each, the
//! linear combinations `A`, `B`, `C`, each a term count and `(wire u32,
//! coefficient)` terms, coefficients standard little-endian), section 3
//! the wire-to-label map (`u64` per wire).
//!
//! zkreg writes its predicate circuit with arkworks' variable numbering as
//! the wire numbering: wire 0 the constant one, wires 1–9 the public inputs
//! (no public outputs), then the witness variables.

use std::io::Cursor as IoCursor;

use ark_bn254::Fr;
use ark_ff::PrimeField;
use zkreg_circuits::predicate::shape::PredicateShape;

use super::binfile::{BinReader, BinWriter, Cursor};
use super::error::{CeremonyError, FormatError};
use super::points::{fr_from_le, put_fr_le, FIELD_BYTES};

const MAGIC: &str = "r1cs";
const HEADER: u32 = 1;
const CONSTRAINTS: u32 = 2;
const WIRE_MAP: u32 = 3;

/// A linear combination: `(wire, coefficient)` terms in file order.
pub type LinearCombination = Vec<(u32, Fr)>;

/// One constraint `⟨A, w⟩ · ⟨B, w⟩ = ⟨C, w⟩`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    /// `A`.
    pub a: LinearCombination,
    /// `B`.
    pub b: LinearCombination,
    /// `C`.
    pub c: LinearCombination,
}

/// A rank-1 constraint system over BN254's scalar field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct R1cs {
    /// Wires, the constant one included.
    pub num_wires: u32,
    /// Public outputs (wires `1..=num_outputs`).
    pub num_outputs: u32,
    /// Public inputs (the wires after the outputs).
    pub num_public_inputs: u32,
    /// Private inputs (informative; snarkjs does not use it).
    pub num_private_inputs: u32,
    /// Labels in the wire map.
    pub num_labels: u64,
    /// The constraints.
    pub constraints: Vec<Constraint>,
    /// Label of each wire.
    pub wire_labels: Vec<u64>,
}

/// Bytes a term takes: wire and coefficient.
const TERM_BYTES: u64 = 4 + FIELD_BYTES as u64;

impl R1cs {
    /// zkreg's predicate circuit.
    pub fn predicate() -> Result<Self, CeremonyError> {
        Ok(Self::from_shape(&PredicateShape::synthesise()?))
    }

    /// The system of a synthesised predicate circuit.
    pub fn from_shape(shape: &PredicateShape) -> Self {
        let lc = |row: &[(Fr, usize)]| row.iter().map(|(coef, var)| (*var as u32, *coef)).collect::<LinearCombination>();
        let [a, b, c] = &shape.matrices;
        let constraints =
            a.iter().zip(b).zip(c).map(|((a, b), c)| Constraint { a: lc(a), b: lc(b), c: lc(c) }).collect();
        let num_wires = shape.num_variables() as u32;
        R1cs {
            num_wires,
            num_outputs: 0,
            num_public_inputs: (shape.num_instance - 1) as u32,
            num_private_inputs: 0,
            num_labels: num_wires as u64,
            constraints,
            wire_labels: (0..num_wires as u64).collect(),
        }
    }

    /// Public wires, the constant one excluded (snarkjs's `nPublic`).
    pub fn num_public(&self) -> u32 {
        self.num_outputs + self.num_public_inputs
    }

    /// Whether `witness` (one value per wire, wire 0 = 1) satisfies every constraint.
    pub fn is_satisfied(&self, witness: &[Fr]) -> bool {
        if witness.len() != self.num_wires as usize || witness.first() != Some(&Fr::from(1u64)) {
            return false;
        }
        let eval = |lc: &LinearCombination| lc.iter().map(|(w, c)| witness[*w as usize] * c).sum::<Fr>();
        self.constraints.iter().all(|k| eval(&k.a) * eval(&k.b) == eval(&k.c))
    }

    /// The `.r1cs` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut header = Vec::new();
        header.extend_from_slice(&(FIELD_BYTES as u32).to_le_bytes());
        header.extend_from_slice(&modulus_le::<Fr>());
        for n in [self.num_wires, self.num_outputs, self.num_public_inputs, self.num_private_inputs] {
            header.extend_from_slice(&n.to_le_bytes());
        }
        header.extend_from_slice(&self.num_labels.to_le_bytes());
        header.extend_from_slice(&(self.constraints.len() as u32).to_le_bytes());

        let mut body = Vec::new();
        for k in &self.constraints {
            for lc in [&k.a, &k.b, &k.c] {
                body.extend_from_slice(&(lc.len() as u32).to_le_bytes());
                for (wire, coef) in lc {
                    body.extend_from_slice(&wire.to_le_bytes());
                    put_fr_le(coef, &mut body);
                }
            }
        }
        let map: Vec<u8> = self.wire_labels.iter().flat_map(|l| l.to_le_bytes()).collect();

        let mut w = BinWriter::new(MAGIC, 1, 3);
        w.section(HEADER, &header);
        w.section(CONSTRAINTS, &body);
        w.section(WIRE_MAP, &map);
        w.finish()
    }

    /// Reads a `.r1cs` file, checking every count against the bytes present
    /// and every wire index against the wire count.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut file = BinReader::open(IoCursor::new(bytes), MAGIC, 1)?;
        let header = file.read_section(HEADER)?;
        let mut h = Cursor::new(&header, HEADER);
        check_field_header(&mut h)?;
        let num_wires = h.u32()?;
        let num_outputs = h.u32()?;
        let num_public_inputs = h.u32()?;
        let num_private_inputs = h.u32()?;
        let num_labels = h.u64()?;
        let num_constraints = h.u32()?;
        h.finish()?;
        if num_wires == 0 || num_outputs as u64 + num_public_inputs as u64 >= num_wires as u64 {
            return Err(FormatError::invalid("r1cs: the public wires do not fit in the wire count"));
        }
        if file.has(4) || file.has(5) {
            return Err(FormatError::invalid("r1cs: custom gates are not supported"));
        }

        let body = file.read_section(CONSTRAINTS)?;
        let mut c = Cursor::new(&body, CONSTRAINTS);
        // Each constraint holds at least three term counts.
        let n = c.check_count(num_constraints as u64, 12, "constraints")?;
        let mut constraints = Vec::with_capacity(n);
        for k in 0..n {
            let mut lcs = Vec::with_capacity(3);
            for m in ["A", "B", "C"] {
                let terms = c.u32()?;
                let t = c.check_count(terms as u64, TERM_BYTES, "terms")?;
                let mut lc = Vec::with_capacity(t);
                for _ in 0..t {
                    let wire = c.u32()?;
                    if wire >= num_wires {
                        return Err(FormatError::invalid(format!("r1cs: constraint {k} {m} names wire {wire} of {num_wires}")));
                    }
                    let coef = fr_from_le(c.take(FIELD_BYTES)?, &|| format!("r1cs constraint {k} {m}"))?;
                    lc.push((wire, coef));
                }
                lcs.push(lc);
            }
            let [a, b, cc]: [LinearCombination; 3] = lcs.try_into().unwrap_or_else(|_| unreachable!("three combinations"));
            constraints.push(Constraint { a, b, c: cc });
        }
        c.finish()?;

        let map = file.read_section(WIRE_MAP)?;
        let mut m = Cursor::new(&map, WIRE_MAP);
        let n = m.check_count(num_wires as u64, 8, "wire map")?;
        let wire_labels = (0..n).map(|_| m.u64()).collect::<Result<Vec<_>, _>>()?;
        m.finish()?;
        Ok(R1cs { num_wires, num_outputs, num_public_inputs, num_private_inputs, num_labels, constraints, wire_labels })
    }
}

/// The modulus of `F`, little-endian, 32 bytes.
pub(crate) fn modulus_le<F: PrimeField>() -> Vec<u8> {
    use ark_ff::BigInteger;
    F::MODULUS.to_bytes_le()
}

/// Reads `n8 = 32` and the prime, which must be BN254's `r`.
pub(crate) fn check_field_header(h: &mut Cursor<'_>) -> Result<(), FormatError> {
    if h.u32()? != FIELD_BYTES as u32 {
        return Err(FormatError::WrongCurve { what: "field element size" });
    }
    if h.take(FIELD_BYTES)? != modulus_le::<Fr>().as_slice() {
        return Err(FormatError::WrongCurve { what: "scalar field prime" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> R1cs {
        // w1 · w1 = w2, w2 · 1 = 7·w1 + 3
        let one = Fr::from(1u64);
        R1cs {
            num_wires: 3,
            num_outputs: 0,
            num_public_inputs: 1,
            num_private_inputs: 0,
            num_labels: 3,
            constraints: vec![
                Constraint { a: vec![(1, one)], b: vec![(1, one)], c: vec![(2, one)] },
                Constraint { a: vec![(2, one)], b: vec![(0, one)], c: vec![(1, Fr::from(7u64)), (0, Fr::from(3u64))] },
            ],
            wire_labels: vec![0, 1, 2],
        }
    }

    #[test]
    fn round_trips_and_checks_satisfaction() {
        let r = tiny();
        assert_eq!(R1cs::from_bytes(&r.to_bytes()).unwrap(), r);
        // 9 = 7·w1 + 3 has no small solution; check a wrong one fails and a
        // right one for the first constraint alone passes.
        assert!(!r.is_satisfied(&[Fr::from(1u64), Fr::from(3u64), Fr::from(9u64)]));
        let w1 = Fr::from(3u64);
        let ok = R1cs { constraints: r.constraints[..1].to_vec(), ..r.clone() };
        assert!(ok.is_satisfied(&[Fr::from(1u64), w1, w1 * w1]));
    }

    #[test]
    fn refuses_truncation_and_bad_indices() {
        let bytes = tiny().to_bytes();
        for cut in [0, 11, 20, bytes.len() - 1] {
            assert!(R1cs::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // Wire 2 → 9 in the first term of the first constraint (after the
        // 12-byte file header, the 12-byte section header and the 64-byte
        // header section, the 12-byte section header, then the count).
        let at = 12 + 12 + 64 + 12 + 4;
        let mut bad = bytes.clone();
        bad[at] = 9;
        assert!(matches!(R1cs::from_bytes(&bad), Err(FormatError::Invalid { .. })));
        // A term count far past the section.
        let mut huge = bytes.clone();
        huge[at - 4..at].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(R1cs::from_bytes(&huge), Err(FormatError::Truncated { .. })));
    }
}
