/// Forward-confirmed reverse DNS (FCrDNS): the PTR names of `ip` whose own
/// A/AAAA records include `ip` again. A lookup failure drops the name; at
/// most `limit` PTR names are tried (RFC 7208 §4.6.4 uses 10).
public func validatedPTRNames(for ip: IPAddress, resolver: any DNSResolver, limit: Int = 10) async -> [String] {
    guard let ptr = try? await resolver.query(ip.reverseName, .ptr) else { return [] }
    var out: [String] = []
    for case .ptr(let name) in ptr.records.prefix(limit) {
        guard let forward = try? await resolver.query(name, ip.isIPv4 ? .a : .aaaa) else { continue }
        let confirmed = forward.records.contains { record in
            switch record {
            case .a(let b), .aaaa(let b): b == ip.bytes
            default: false
            }
        }
        if confirmed { out.append(name.lowercased()) }
    }
    return out
}
