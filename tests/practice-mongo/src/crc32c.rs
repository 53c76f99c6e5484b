//! CRC-32C (Castagnoli), the optional checksum at the end of an OP_MSG (flag bit
//! `checksumPresent`). Drivers send it only when asked to, so a bitwise loop is fast enough.

/// The CRC-32C of `bytes`, as an OP_MSG's checksum field carries it.
pub fn checksum(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0x82F6_3B78 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_answer() {
        // The standard check value for CRC-32C.
        assert_eq!(checksum(b"123456789"), 0xE306_9283);
    }
}
