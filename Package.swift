// swift-tools-version: 6.1
import PackageDescription

// Module layout follows ../shared/DESIGN.md. Dependencies point one way:
// SwampMIME, SwampRules and SwampRegex import no other swamp target;
// SwampEngine composes them into a rule set; SwampScan runs one scan.
let package = Package(
    name: "swamp",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "swamp", targets: ["swamp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLDNS", pkgConfig: "ldns",
                       providers: [.apt(["libldns-dev"])]),
        // glibc's mallopt and malloc_trim (malloc.h), for the daemon's heap.
        .systemLibrary(name: "CMalloc"),
        .target(name: "SwampMIME", dependencies: ["SwampRegex"]),
        .target(name: "CFormat"),
        .target(name: "SwampRules", dependencies: ["CFormat"]),
        .systemLibrary(name: "CHyperscan", pkgConfig: "libhs",
                       providers: [.apt(["libhyperscan-dev"])]),
        .target(name: "SwampRegex", dependencies: ["CPCRE2", "CHyperscan"]),
        .target(name: "SwampEngine", dependencies: ["SwampMIME", "SwampRules", "SwampRegex"]),
        .target(name: "SwampSpamd"),
        // SHA-1's block function with the x86 SHA extensions (C: the
        // intrinsics), for the Bayes tokens' hashes.
        .target(name: "CSHA1"),
        .target(name: "SwampBayes", dependencies: ["SwampMIME", "SwampRegex", "CSQLite", "CSHA1"]),
        // Bayes shared by several daemons in PostgreSQL (issue 4); its own
        // target so that SwampBayes and what needs only SQLite do not build
        // postgres-nio.
        .target(name: "SwampBayesPostgres", dependencies: [
            "SwampBayes",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // NIOPosix for the Bayes steps' thread pool; SwampBayesPostgres
        // links it already.
        .target(name: "SwampScan", dependencies: ["SwampEngine", "SwampMIME", "SwampRules", "SwampRegex", "SwampBayes",
                                                  "SwampBayesPostgres", "SwampDNS", "SwampAuth",
                                                  .product(name: "NIOPosix", package: "swift-nio")]),
        .target(name: "SwampServer", dependencies: [
            "SwampSpamd", "SwampScan", "SwampEngine", "SwampMIME", "SwampBayes", "SwampRules", "CZlib", "CMalloc",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // Network checks (issue 5): DNS through libldns, SPF and DKIM over it.
        .target(name: "SwampDNS", dependencies: [
            "CLDNS",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .target(name: "SwampAuth", dependencies: [
            "SwampDNS",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "SwampTestSupport", dependencies: [
            "SwampDNS", "CLDNS",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "swamp", dependencies: [
            "SwampScan", "SwampEngine", "SwampRules", "SwampMIME", "SwampServer", "SwampBayes", "SwampDNS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SwampBayesTests", dependencies: ["SwampBayes", "SwampBayesPostgres", "SwampMIME", "SwampScan",
                                                            "SwampRules", "SwampTestSupport",
                                                            .product(name: "PostgresNIO", package: "postgres-nio")],
                    exclude: ["sa-tokens.pl", "sa-bayes-rules.pl", "golden"]),
        .testTarget(name: "SwampSpamdTests", dependencies: ["SwampSpamd", "SwampTestSupport"]),
        .testTarget(name: "SwampDNSTests", dependencies: ["SwampDNS", "SwampTestSupport"]),
        .testTarget(name: "SwampAuthTests", dependencies: ["SwampAuth", "SwampDNS", "SwampTestSupport"]),
        .testTarget(name: "SwampServerTests", dependencies: [
            "SwampServer", "SwampSpamd", "SwampMIME", "CZlib", "SwampDNS", "SwampTestSupport",
            "SwampScan", "SwampBayes", "SwampBayesPostgres", "SwampRules",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .testTarget(name: "SwampMIMETests", dependencies: ["SwampMIME", "SwampTestSupport"], exclude: ["sa-views.pl", "invisible-text.list"]),
        .testTarget(name: "SwampRulesTests", dependencies: ["SwampRules", "SwampTestSupport"]),
        .testTarget(name: "SwampRegexTests", dependencies: ["SwampRegex", "SwampTestSupport"]),
        .testTarget(name: "SwampEngineTests", dependencies: ["SwampEngine", "SwampMIME", "SwampRules", "SwampRegex", "SwampTestSupport"]),
        .testTarget(name: "SwampScanTests", dependencies: [
            "SwampScan", "SwampEngine", "SwampMIME", "SwampRules", "SwampDNS", "SwampAuth", "SwampBayes",
            "SwampTestSupport",
        ]),
        .testTarget(name: "SwampCLITests", dependencies: ["SwampScan", "SwampTestSupport"]),
        .testTarget(name: "SwampDifferentialTests",
                    dependencies: ["SwampScan", "SwampEngine", "SwampMIME", "SwampRules", "SwampRegex",
                                   "SwampTestSupport"],
                    exclude: ["sa-hits.pl"]),
    ],
    swiftLanguageModes: [.v6]
)
