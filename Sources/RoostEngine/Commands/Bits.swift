/// Bit commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD.
enum BitCommands {
    static let specs: [CommandSpec] = []
}
