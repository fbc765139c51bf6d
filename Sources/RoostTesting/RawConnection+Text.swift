extension RawConnection {
    /// Opens a connection to the server on `port`, sends `arguments` as one command and returns
    /// its reply as text (see ``text(_:)``).
    /// - Throws: ``RoostTestingError/Code-swift.struct/commandFailed`` when the server cannot be
    ///   reached or does not reply within `timeout` seconds.
    package static func text(port: Int, timeout: Double = 5, _ arguments: [String]) throws -> String {
        do {
            return try RawConnection(port: port, timeout: timeout).text(arguments)
        } catch let error as RawConnection.Error {
            throw RoostTestingError(.commandFailed, "\(arguments.first ?? "") on port \(port): \(error.description)")
        }
    }

    /// Sends `arguments` as one command and returns the reply as text: the RESP2 framing
    /// stripped for simple strings, errors, integers and bulk strings, other replies as they are.
    package func text(_ arguments: [String]) throws -> String {
        try send(command: arguments.map { Array($0.utf8) })
        // Bytes, not Characters: "\r\n" is one Character in a Swift String.
        let reply = try readReply()
        guard let first = reply.first, reply.count >= 3, reply.suffix(2) == [13, 10] else {
            return String(decoding: reply, as: UTF8.self)
        }
        switch first {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"):
            return String(decoding: reply.dropFirst().dropLast(2), as: UTF8.self)
        case UInt8(ascii: "$"):
            guard let cr = reply.firstIndex(of: 13), cr + 2 <= reply.count - 2 else { return String(decoding: reply, as: UTF8.self) }
            return String(decoding: reply[(cr + 2)..<(reply.count - 2)], as: UTF8.self)
        default:
            return String(decoding: reply, as: UTF8.self)
        }
    }
}
