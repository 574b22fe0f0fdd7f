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
    ],
    targets: [
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SwampMIME"),
        .target(name: "SwampRules"),
        .target(name: "SwampRegex", dependencies: ["CPCRE2"]),
        .target(name: "SwampEngine", dependencies: ["SwampMIME", "SwampRules", "SwampRegex"]),
        .target(name: "SwampSpamd"),
        .target(name: "SwampBayes", dependencies: ["SwampMIME", "SwampRegex", "CSQLite"]),
        .target(name: "SwampScan", dependencies: ["SwampEngine", "SwampMIME", "SwampRules", "SwampBayes"]),
        .executableTarget(name: "swamp", dependencies: [
            "SwampScan", "SwampEngine", "SwampRules", "SwampMIME", "SwampBayes",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "SwampBayesTests", dependencies: ["SwampBayes", "SwampMIME", "SwampScan", "SwampRules"],
                    exclude: ["sa-tokens.pl", "sa-bayes-rules.pl", "golden"]),
        .testTarget(name: "SwampSpamdTests", dependencies: ["SwampSpamd"]),
        .testTarget(name: "SwampMIMETests", dependencies: ["SwampMIME"], exclude: ["sa-views.pl"]),
        .testTarget(name: "SwampRulesTests", dependencies: ["SwampRules"]),
        .testTarget(name: "SwampRegexTests", dependencies: ["SwampRegex"]),
        .testTarget(name: "SwampEngineTests", dependencies: ["SwampEngine", "SwampMIME", "SwampRules"]),
        .testTarget(name: "SwampScanTests", dependencies: ["SwampScan", "SwampEngine", "SwampMIME", "SwampRules"]),
        .testTarget(name: "SwampCLITests", dependencies: ["SwampScan"]),
        .testTarget(name: "SwampDifferentialTests",
                    dependencies: ["SwampScan", "SwampEngine", "SwampMIME", "SwampRules"],
                    exclude: ["sa-hits.pl"]),
    ],
    swiftLanguageModes: [.v6]
)
