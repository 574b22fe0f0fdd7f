internal import CLDNS
import Foundation

// The one place swamp touches libldns: building query packets and parsing
// answers. Sockets are NIO's (LDNSResolver.swift); no ldns pointer leaves
// this file.

/// Turns an `ldns_status` into a Swift error (STYLE.md habit 4).
private func check(_ status: ldns_status, _ what: String) throws(DNSError) {
    guard status != LDNS_STATUS_OK else { return }
    let text = ldns_get_errorstr_by_id(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
    throw .malformedResponse("\(what): \(text)")
}

enum LDNSPacket {
    /// A recursive query (RD set) with EDNS0 advertising 1232 bytes, so most
    /// TXT answers fit in UDP (RFC 6891; the DNS flag day 2020 size).
    /// The query's bytes and its name as ldns presents it (escapes
    /// included), for comparison with the answer's question.
    static func query(name: String, type: DNSRecordType, id: UInt16) throws(DNSError) -> (bytes: [UInt8], name: String) {
        guard let rdf = ldns_dname_new_frm_str(name) else { throw .invalidName(name) }
        let presented = dname(rdf)
        guard let pkt = ldns_pkt_query_new(rdf, ldns_rr_type(rawValue: UInt32(type.rawValue)),
                                           LDNS_RR_CLASS_IN, UInt16(LDNS_RD)) else {
            throw .invalidName(name)
        }
        defer { ldns_pkt_free(pkt) }
        ldns_pkt_set_id(pkt, id)
        ldns_pkt_set_edns_udp_size(pkt, 1232)
        var wire: UnsafeMutablePointer<UInt8>?
        var size = 0
        try check(ldns_pkt2wire(&wire, pkt, &size), "building query")
        guard let wire else { throw .malformedResponse("no query bytes") }
        defer { free(wire) }
        return (Array(UnsafeBufferPointer(start: wire, count: size)), presented)
    }

    struct Parsed {
        var id: UInt16
        var truncated: Bool
        var rcode: UInt8
        var questionName: String
        var questionType: UInt16
        /// (owner, ttl, record) for each answer record swamp understands.
        var answers: [(owner: String, ttl: UInt32, record: DNSRecord)]
    }

    static func parse(_ bytes: [UInt8]) throws(DNSError) -> Parsed {
        var pktOut: UnsafeMutablePointer<ldns_pkt>?
        let status = bytes.withUnsafeBufferPointer { ldns_wire2pkt(&pktOut, $0.baseAddress, $0.count) }
        try check(status, "parsing answer")
        guard let pkt = pktOut else { throw .malformedResponse("no packet") }
        defer { ldns_pkt_free(pkt) }

        var parsed = Parsed(id: ldns_pkt_id(pkt), truncated: ldns_pkt_tc(pkt),
                            rcode: UInt8(truncatingIfNeeded: ldns_pkt_get_rcode(pkt).rawValue),
                            questionName: "", questionType: 0, answers: [])
        if let q = ldns_pkt_question(pkt), ldns_rr_list_rr_count(q) > 0, let rr = ldns_rr_list_rr(q, 0) {
            parsed.questionName = dname(ldns_rr_owner(rr))
            parsed.questionType = UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue)
        }
        guard let list = ldns_pkt_answer(pkt) else { return parsed }
        // An answer section is bounded by the packet (64 KB), so this loop is too.
        for i in 0..<ldns_rr_list_rr_count(list) {
            guard let rr = ldns_rr_list_rr(list, i) else { continue }
            if let record = record(rr) {
                parsed.answers.append((dname(ldns_rr_owner(rr)), ldns_rr_ttl(rr), record))
            }
        }
        return parsed
    }

    private static func bytes(_ rdf: UnsafeMutablePointer<ldns_rdf>?) -> [UInt8] {
        guard let rdf, let data = ldns_rdf_data(rdf) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: ldns_rdf_size(rdf)))
    }

    /// A domain name as lower-case presentation text without the final dot.
    private static func dname(_ rdf: UnsafeMutablePointer<ldns_rdf>?) -> String {
        guard let rdf, let c = ldns_rdf2str(rdf) else { return "" }
        defer { free(c) }
        var s = String(cString: c).lowercased()
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    private static func record(_ rr: UnsafeMutablePointer<ldns_rr>) -> DNSRecord? {
        let type = UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue)
        let count = ldns_rr_rd_count(rr)
        func field(_ i: Int) -> UnsafeMutablePointer<ldns_rdf>? { i < count ? ldns_rr_rdf(rr, i) : nil }
        switch DNSRecordType(rawValue: type) {
        case .a:
            let b = bytes(field(0)); return b.count == 4 ? .a(b) : nil
        case .aaaa:
            let b = bytes(field(0)); return b.count == 16 ? .aaaa(b) : nil
        case .txt:
            // Each rdf is one character-string, stored with its length byte.
            var parts: [[UInt8]] = []
            for i in 0..<count {
                let b = bytes(field(i))
                parts.append(b.isEmpty ? [] : Array(b.dropFirst()))
            }
            return .txt(parts)
        case .mx:
            let pref = bytes(field(0))
            guard pref.count == 2 else { return nil }
            return .mx(preference: UInt16(pref[0]) << 8 | UInt16(pref[1]), exchange: dname(field(1)))
        case .ptr: return .ptr(dname(field(0)))
        case .cname: return .cname(dname(field(0)))
        case .ns: return .ns(dname(field(0)))
        default: return nil
        }
    }
}
