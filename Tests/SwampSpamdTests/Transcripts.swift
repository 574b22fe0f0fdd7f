// Byte-exact conversations with SpamAssassin 4.0.1's spamd (Debian 12),
// captured on 127.0.0.1 for these tests: the `spamc*` ones through a logging
// proxy between the real spamc 4.0.1 and spamd, the `raw*` ones from a
// Python client writing the request bytes itself and half-closing.
// spamd ran with -L -x --allow-tell; the messages are the two below.

import Testing

/// One captured conversation.
struct Transcript: Sendable, CustomTestStringConvertible {
    var name: String
    var request: [UInt8]
    var response: [UInt8]
    var testDescription: String { name }
}

func bytes(_ lines: [String]) -> [UInt8] { Array(lines.joined().utf8) }

enum Messages {
    static let gtube = bytes([
        "From: a@example.com\n",
        "To: b@example.com\n",
        "Subject: test\n",
        "Message-ID: <gtube@example.com>\n",
        "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
        "\n",
        "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n",
    ])
    static let ham = bytes([
        "From: a@example.com\n",
        "To: b@example.com\n",
        "Subject: lunch\n",
        "Message-ID: <ham@example.com>\n",
        "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
        "\n",
        "Shall we have lunch tomorrow?\n",
    ])
    static let hamCRLF = bytes([
        "From: a@example.com\r\n",
        "To: b@example.com\r\n",
        "Subject: lunch\r\n",
        "Message-ID: <ham@example.com>\r\n",
        "Date: Sat, 29 Nov 2025 10:00:00 +0000\r\n",
        "\r\n",
        "Shall we have lunch tomorrow?\r\n",
    ])
}

enum Transcripts {
    static let spamcCheckSpam = Transcript(
        name: "spamcCheckSpam",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: True ; 1000.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let spamcCheckHam = Transcript(
        name: "spamcCheckHam",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let spamcSymbols = Transcript(
        name: "spamcSymbols",
        request: bytes([
            "SYMBOLS SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 43\r\n",
            "Spam: True ; 1000.0 / 5.0\r\n",
            "\r\n",
            "GTUBE,NO_RECEIVED,NO_RELAYS,TVD_SPACE_RATIO",
        ])
    )

    static let spamcReport = Transcript(
        name: "spamcReport",
        request: bytes([
            "REPORT SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 820\r\n",
            "Spam: True ; 1000.0 / 5.0\r\n",
            "\r\n",
            "Spam detection software, running on the system \"vm\",\n",
            "has identified this incoming email as possible spam.  The original\n",
            "message has been attached to this so you can view it or label\n",
            "similar future email.  If you have any questions, see\n",
            "@@CONTACT_ADDRESS@@ for details.\n",
            "\n",
            "Content preview:  XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n",
            "   \n",
            "\n",
            "Content analysis details:   (1000.0 points, 5.0 required)\n",
            "\n",
            " pts rule name              description\n",
            "---- ---------------------- --------------------------------------------------\n",
            "-0.0 NO_RECEIVED            Informational: message has no Received headers\n",
            "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n",
            "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n",
            " 0.0 TVD_SPACE_RATIO        No description available.\n",
            "\n",
        ])
    )

    static let spamcReportIfSpamSpam = Transcript(
        name: "spamcReportIfSpamSpam",
        request: bytes([
            "REPORT_IFSPAM SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 820\r\n",
            "Spam: Yes ; 1000.0 / 5.0\r\n",
            "\r\n",
            "Spam detection software, running on the system \"vm\",\n",
            "has identified this incoming email as possible spam.  The original\n",
            "message has been attached to this so you can view it or label\n",
            "similar future email.  If you have any questions, see\n",
            "@@CONTACT_ADDRESS@@ for details.\n",
            "\n",
            "Content preview:  XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n",
            "   \n",
            "\n",
            "Content analysis details:   (1000.0 points, 5.0 required)\n",
            "\n",
            " pts rule name              description\n",
            "---- ---------------------- --------------------------------------------------\n",
            "-0.0 NO_RECEIVED            Informational: message has no Received headers\n",
            "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n",
            "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n",
            " 0.0 TVD_SPACE_RATIO        No description available.\n",
            "\n",
        ])
    )

    static let spamcReportIfSpamHam = Transcript(
        name: "spamcReportIfSpamHam",
        request: bytes([
            "REPORT_IFSPAM SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 0\r\n",
            "Spam: No ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let spamcProcess = Transcript(
        name: "spamcProcess",
        request: bytes([
            "PROCESS SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 2032\r\n",
            "Spam: True ; 1000.0 / 5.0\r\n",
            "\r\n",
            "Received: from localhost by vm\n",
            "\twith SpamAssassin (version 4.0.1);\n",
            "\tSun, 29 Nov 2026 10:48:50 +0000\n",
            "From: a@example.com\n",
            "To: b@example.com\n",
            "Subject: test\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
            "Message-Id: <gtube@example.com>\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\n",
            "X-Spam-Flag: YES\n",
            "X-Spam-Level: **************************************************\n",
            "X-Spam-Status: Yes, score=1000.0 required=5.0 tests=GTUBE,NO_RECEIVED,\n",
            "\tNO_RELAYS,TVD_SPACE_RATIO autolearn=no autolearn_force=no version=4.0.1\n",
            "MIME-Version: 1.0\n",
            "Content-Type: multipart/mixed; boundary=\"----------=_6B0C0312.1F435005\"\n",
            "\n",
            "This is a multi-part message in MIME format.\n",
            "\n",
            "------------=_6B0C0312.1F435005\n",
            "Content-Type: text/plain; charset=UTF-8\n",
            "Content-Disposition: inline\n",
            "Content-Transfer-Encoding: 8bit\n",
            "\n",
            "Spam detection software, running on the system \"vm\",\n",
            "has identified this incoming email as possible spam.  The original\n",
            "message has been attached to this so you can view it or label\n",
            "similar future email.  If you have any questions, see\n",
            "@@CONTACT_ADDRESS@@ for details.\n",
            "\n",
            "Content preview:  XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n",
            "   \n",
            "\n",
            "Content analysis details:   (1000.0 points, 5.0 required)\n",
            "\n",
            " pts rule name              description\n",
            "---- ---------------------- --------------------------------------------------\n",
            "-0.0 NO_RECEIVED            Informational: message has no Received headers\n",
            "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n",
            "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n",
            " 0.0 TVD_SPACE_RATIO        No description available.\n",
            "\n",
            "\n",
            "\n",
            "------------=_6B0C0312.1F435005\n",
            "Content-Type: message/rfc822; x-spam-type=original\n",
            "Content-Description: original message before SpamAssassin\n",
            "Content-Disposition: inline\n",
            "Content-Transfer-Encoding: 8bit\n",
            "\n",
            "From: a@example.com\n",
            "To: b@example.com\n",
            "Subject: test\n",
            "Message-ID: <gtube@example.com>\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
            "\n",
            "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n",
            "\n",
            "------------=_6B0C0312.1F435005--\n",
            "\n",
        ])
    )

    static let spamcHeaders = Transcript(
        name: "spamcHeaders",
        request: bytes([
            "HEADERS SPAMC/1.5\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 601\r\n",
            "Spam: True ; 1000.0 / 5.0\r\n",
            "\r\n",
            "Received: from localhost by vm\n",
            "\twith SpamAssassin (version 4.0.1);\n",
            "\tSun, 29 Nov 2026 10:48:50 +0000\n",
            "From: a@example.com\n",
            "To: b@example.com\n",
            "Subject: test\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
            "Message-Id: <gtube@example.com>\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\n",
            "X-Spam-Flag: YES\n",
            "X-Spam-Level: **************************************************\n",
            "X-Spam-Status: Yes, score=1000.0 required=5.0 tests=GTUBE,NO_RECEIVED,\n",
            "\tNO_RELAYS,TVD_SPACE_RATIO autolearn=no autolearn_force=no version=4.0.1\n",
            "MIME-Version: 1.0\n",
            "Content-Type: multipart/mixed; boundary=\"----------=_6B0C0312.BCBD2FA9\"\n",
            "\n",
        ])
    )

    static let spamcPing = Transcript(
        name: "spamcPing",
        request: bytes([
            "PING SPAMC/1.5\r\n",
            "\r\n",
        ]),
        response: bytes(["SPAMD/1.5 0 PONG\r\n"])
    )

    static let spamcTellLearnSpam = Transcript(
        name: "spamcTellLearnSpam",
        request: bytes([
            "TELL SPAMC/1.5\r\n",
            "Message-class: spam\r\n",
            "Set: local\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "DidSet: local\r\n",
            "\r\n",
            "\r\n",
        ])
    )

    static let spamcTellAlreadyLearned = Transcript(
        name: "spamcTellAlreadyLearned",
        request: bytes([
            "TELL SPAMC/1.5\r\n",
            "Message-class: spam\r\n",
            "Set: local\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "\r\n",
            "\r\n",
        ])
    )

    static let spamcTellForget = Transcript(
        name: "spamcTellForget",
        request: bytes([
            "TELL SPAMC/1.5\r\n",
            "Remove: local\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "DidRemove: local\r\n",
            "\r\n",
            "\r\n",
        ])
    )

    static let spamcTellReport = Transcript(
        name: "spamcTellReport",
        request: bytes([
            "TELL SPAMC/1.5\r\n",
            "Message-class: spam\r\n",
            "Set: local,remote\r\n",
            "User: root\r\n",
            "Content-length: 192\r\n",
            "\r\n",
        ]) + Messages.gtube,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "DidSet: local\r\n",
            "\r\n",
            "\r\n",
        ])
    )

    static let spamcCheckUserAlice = Transcript(
        name: "spamcCheckUserAlice",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "User: alice\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let rawCheck12 = Transcript(
        name: "rawCheck12",
        request: bytes([
            "CHECK SPAMC/1.2\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let rawSymbols12 = Transcript(
        name: "rawSymbols12",
        request: bytes([
            "SYMBOLS SPAMC/1.2\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
            "MSGID_SHORT,NO_RECEIVED,NO_RELAYS\r\n",
        ])
    )

    static let rawSymbols13 = Transcript(
        name: "rawSymbols13",
        request: bytes([
            "SYMBOLS SPAMC/1.3\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 33\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
            "MSGID_SHORT,NO_RECEIVED,NO_RELAYS",
        ])
    )

    static let rawReport12 = Transcript(
        name: "rawReport12",
        request: bytes([
            "REPORT SPAMC/1.2\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
            "Spam detection software, running on the system \"vm\",\n",
            "has NOT identified this incoming email as spam.  The original\n",
            "message has been attached to this so you can view it or label\n",
            "similar future email.  If you have any questions, see\n",
            "@@CONTACT_ADDRESS@@ for details.\n",
            "\n",
            "Content preview:  Shall we have lunch tomorrow? \n",
            "\n",
            "Content analysis details:   (-0.0 points, 5.0 required)\n",
            "\n",
            " pts rule name              description\n",
            "---- ---------------------- --------------------------------------------------\n",
            "-0.0 NO_RECEIVED            Informational: message has no Received headers\n",
            " 0.0 MSGID_SHORT            Message-ID is unusually short\n",
            "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n",
            "\n",
        ])
    )

    static let rawProcess12 = Transcript(
        name: "rawProcess12",
        request: bytes([
            "PROCESS SPAMC/1.2\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 369\r\n",
            "\r\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\n",
            "X-Spam-Level: \n",
            "X-Spam-Status: No, score=-0.0 required=5.0 tests=MSGID_SHORT,NO_RECEIVED,\n",
            "\tNO_RELAYS autolearn=unavailable autolearn_force=no version=4.0.1\n",
            "From: a@example.com\n",
            "To: b@example.com\n",
            "Subject: lunch\n",
            "Message-ID: <ham@example.com>\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
            "\n",
            "Shall we have lunch tomorrow?\n",
        ])
    )

    static let rawProcess11 = Transcript(
        name: "rawProcess11",
        request: bytes([
            "PROCESS SPAMC/1.1\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes([
            "SPAMD/1.0 0 EX_OK\r\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\n",
            "X-Spam-Level: \n",
            "X-Spam-Status: No, score=-0.0 required=5.0 tests=MSGID_SHORT,NO_RECEIVED,\n",
            "\tNO_RELAYS autolearn=unavailable autolearn_force=no version=4.0.1\n",
            "From: a@example.com\n",
            "To: b@example.com\n",
            "Subject: lunch\n",
            "Message-ID: <ham@example.com>\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
            "\n",
            "Shall we have lunch tomorrow?\n",
        ])
    )

    static let rawProcess10 = Transcript(
        name: "rawProcess10",
        request: bytes(["PROCESS SPAMC/1.0\r\n"]) + Messages.ham,
        response: bytes([
            "SPAMD/1.0 0 EX_OK\r\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\n",
            "X-Spam-Level: \n",
            "X-Spam-Status: No, score=-0.0 required=5.0 tests=MSGID_SHORT,NO_RECEIVED,\n",
            "\tNO_RELAYS autolearn=unavailable autolearn_force=no version=4.0.1\n",
            "From: a@example.com\n",
            "To: b@example.com\n",
            "Subject: lunch\n",
            "Message-ID: <ham@example.com>\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\n",
            "\n",
            "Shall we have lunch tomorrow?\n",
        ])
    )

    static let rawCheck10 = Transcript(
        name: "rawCheck10",
        request: bytes(["CHECK SPAMC/1.0\r\n"]) + Messages.ham,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let rawCrlfProcess = Transcript(
        name: "rawCrlfProcess",
        request: bytes([
            "PROCESS SPAMC/1.5\r\n",
            "Content-length: 159\r\n",
            "\r\n",
        ]) + Messages.hamCRLF,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 380\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\r\n",
            "X-Spam-Level: \r\n",
            "X-Spam-Status: No, score=-0.0 required=5.0 tests=MSGID_SHORT,NO_RECEIVED,\r\n",
            "\tNO_RELAYS autolearn=unavailable autolearn_force=no version=4.0.1\r\n",
            "From: a@example.com\r\n",
            "To: b@example.com\r\n",
            "Subject: lunch\r\n",
            "Message-ID: <ham@example.com>\r\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\r\n",
            "\r\n",
            "Shall we have lunch tomorrow?\r\n",
        ])
    )

    static let rawCrlfHeaders = Transcript(
        name: "rawCrlfHeaders",
        request: bytes([
            "HEADERS SPAMC/1.5\r\n",
            "Content-length: 159\r\n",
            "\r\n",
        ]) + Messages.hamCRLF,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 349\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
            "X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\r\n",
            "X-Spam-Level: \r\n",
            "X-Spam-Status: No, score=-0.0 required=5.0 tests=MSGID_SHORT,NO_RECEIVED,\r\n",
            "\tNO_RELAYS autolearn=unavailable autolearn_force=no version=4.0.1\r\n",
            "From: a@example.com\r\n",
            "To: b@example.com\r\n",
            "Subject: lunch\r\n",
            "Message-ID: <ham@example.com>\r\n",
            "Date: Sat, 29 Nov 2025 10:00:00 +0000\r\n",
            "\r\n",
        ])
    )

    static let rawCrlfReportIfspam = Transcript(
        name: "rawCrlfReportIfspam",
        request: bytes([
            "REPORT_IFSPAM SPAMC/1.5\r\n",
            "Content-length: 159\r\n",
            "\r\n",
        ]) + Messages.hamCRLF,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Content-length: 0\r\n",
            "Spam: No ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let rawCrlfCheck = Transcript(
        name: "rawCrlfCheck",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Content-length: 159\r\n",
            "\r\n",
        ]) + Messages.hamCRLF,
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let rawUnknown = Transcript(
        name: "rawUnknown",
        request: bytes([
            "FOO SPAMC/1.5\r\n",
            "\r\n",
        ]),
        response: bytes(["SPAMD/1.0 76 Bad header line: FOO SPAMC/1.5\r\n"])
    )

    static let rawEmptyLine = Transcript(
        name: "rawEmptyLine",
        request: bytes(["\r\n"]),
        response: bytes(["SPAMD/1.0 76 Bad header line: \r\n"])
    )

    static let rawPing12 = Transcript(
        name: "rawPing12",
        request: bytes(["PING SPAMC/1.2\r\n"]),
        response: bytes(["SPAMD/1.5 0 PONG\r\n"])
    )

    static let rawPing15Hdrs = Transcript(
        name: "rawPing15Hdrs",
        request: bytes([
            "PING SPAMC/1.5\r\n",
            "Foo: bar\r\n",
            "\r\n",
        ]),
        response: bytes(["SPAMD/1.5 0 PONG\r\n"])
    )

    static let rawSkip15 = Transcript(
        name: "rawSkip15",
        request: bytes([
            "SKIP SPAMC/1.5\r\n",
            "\r\n",
        ]),
        response: bytes([])
    )

    static let rawClenShortMidline = Transcript(
        name: "rawClenShortMidline",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Content-length: 10\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected 10 bytes, got 20 bytes)\r\n"])
    )

    static let rawClenLong = Transcript(
        name: "rawClenLong",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Content-length: 202\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected 202 bytes, got 152 bytes)\r\n"])
    )

    static let rawNegative = Transcript(
        name: "rawNegative",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Content-length: -5\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric bytes)\r\n"])
    )

    static let rawNoColon = Transcript(
        name: "rawNoColon",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Garbage\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: (header not in 'Name: value' format)\r\n"])
    )

    static let rawUserCtrl = Transcript(
        name: "rawUserCtrl",
        request: [0x43, 0x48, 0x45, 0x43, 0x4b, 0x20, 0x53, 0x50, 0x41, 0x4d, 0x43, 0x2f, 0x31, 0x2e, 0x35, 0x0d, 0x0a, 0x55, 0x73, 0x65, 0x72, 0x3a, 0x20, 0x62, 0x6f, 0x01, 0x62, 0x0d, 0x0a, 0x43, 0x6f, 0x6e, 0x74, 0x65, 0x6e, 0x74, 0x2d, 0x6c, 0x65, 0x6e, 0x67, 0x74, 0x68, 0x3a, 0x20, 0x31, 0x35, 0x32, 0x0d, 0x0a, 0x0d, 0x0a] + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: (User header contains control chars)\r\n"])
    )

    static let rawCompressGzip = Transcript(
        name: "rawCompressGzip",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Compress: gzip\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: (compression type not supported: gzip)\r\n"])
    )

    static let rawCompressNoclen = Transcript(
        name: "rawCompressNoclen",
        request: [0x43, 0x48, 0x45, 0x43, 0x4b, 0x20, 0x53, 0x50, 0x41, 0x4d, 0x43, 0x2f, 0x31, 0x2e, 0x35, 0x0d, 0x0a, 0x43, 0x6f, 0x6d, 0x70, 0x72, 0x65, 0x73, 0x73, 0x3a, 0x20, 0x7a, 0x6c, 0x69, 0x62, 0x0d, 0x0a, 0x0d, 0x0a, 0x78, 0x9c, 0x55, 0x8c, 0xbb, 0x0a, 0x02, 0x31, 0x10, 0x45, 0xfb, 0xf9, 0x8a, 0xdb, 0xfb, 0x20, 0x06, 0x2c, 0x0c, 0xa2, 0x16, 0x8b, 0x60, 0xa1, 0x4d, 0xfc, 0x81, 0xd9, 0x30, 0x18, 0x24, 0xd9, 0x91, 0x6c, 0x76, 0xd7, 0xcf, 0x57, 0xb1, 0xd1, 0xcb, 0xa9, 0x0e, 0x87, 0x7b, 0x2c, 0x9a, 0x1d, 0xf8, 0x20, 0x4f, 0xce, 0x8f, 0x24, 0xcb, 0xa0, 0x99, 0xae, 0xea, 0xd0, 0xfe, 0x19, 0x3f, 0xb4, 0x77, 0x09, 0xd5, 0x21, 0x0d, 0x5d, 0x88, 0x74, 0x96, 0xbe, 0xe7, 0x9b, 0x2c, 0x4e, 0x8d, 0xc3, 0x36, 0x72, 0xfe, 0x6d, 0x77, 0xd4, 0x70, 0x15, 0x07, 0xcf, 0x75, 0x0e, 0xbb, 0xc1, 0x45, 0x47, 0x58, 0x63, 0xd7, 0x58, 0x19, 0x67, 0x3e, 0x60, 0x66, 0xde, 0x23, 0xf2, 0x91, 0x53, 0xc2, 0x24, 0x88, 0x3c, 0xca, 0xf7, 0x18, 0x55, 0xb3, 0x96, 0xa2, 0xd3, 0x9e, 0x5e, 0xe8, 0x87, 0x30, 0x36],
        response: bytes(["SPAMD/1.0 69 Service Unavailable: Compress requires Content-length header\r\n"])
    )

    static let rawCompressOk = Transcript(
        name: "rawCompressOk",
        request: [0x43, 0x48, 0x45, 0x43, 0x4b, 0x20, 0x53, 0x50, 0x41, 0x4d, 0x43, 0x2f, 0x31, 0x2e, 0x35, 0x0d, 0x0a, 0x43, 0x6f, 0x6d, 0x70, 0x72, 0x65, 0x73, 0x73, 0x3a, 0x20, 0x7a, 0x6c, 0x69, 0x62, 0x0d, 0x0a, 0x43, 0x6f, 0x6e, 0x74, 0x65, 0x6e, 0x74, 0x2d, 0x6c, 0x65, 0x6e, 0x67, 0x74, 0x68, 0x3a, 0x20, 0x31, 0x32, 0x38, 0x0d, 0x0a, 0x0d, 0x0a, 0x78, 0x9c, 0x55, 0x8c, 0xbb, 0x0a, 0x02, 0x31, 0x10, 0x45, 0xfb, 0xf9, 0x8a, 0xdb, 0xfb, 0x20, 0x06, 0x2c, 0x0c, 0xa2, 0x16, 0x8b, 0x60, 0xa1, 0x4d, 0xfc, 0x81, 0xd9, 0x30, 0x18, 0x24, 0xd9, 0x91, 0x6c, 0x76, 0xd7, 0xcf, 0x57, 0xb1, 0xd1, 0xcb, 0xa9, 0x0e, 0x87, 0x7b, 0x2c, 0x9a, 0x1d, 0xf8, 0x20, 0x4f, 0xce, 0x8f, 0x24, 0xcb, 0xa0, 0x99, 0xae, 0xea, 0xd0, 0xfe, 0x19, 0x3f, 0xb4, 0x77, 0x09, 0xd5, 0x21, 0x0d, 0x5d, 0x88, 0x74, 0x96, 0xbe, 0xe7, 0x9b, 0x2c, 0x4e, 0x8d, 0xc3, 0x36, 0x72, 0xfe, 0x6d, 0x77, 0xd4, 0x70, 0x15, 0x07, 0xcf, 0x75, 0x0e, 0xbb, 0xc1, 0x45, 0x47, 0x58, 0x63, 0xd7, 0x58, 0x19, 0x67, 0x3e, 0x60, 0x66, 0xde, 0x23, 0xf2, 0x91, 0x53, 0xc2, 0x24, 0x88, 0x3c, 0xca, 0xf7, 0x18, 0x55, 0xb3, 0x96, 0xa2, 0xd3, 0x9e, 0x5e, 0xe8, 0x87, 0x30, 0x36],
        response: bytes([
            "SPAMD/1.1 0 EX_OK\r\n",
            "Spam: False ; -0.0 / 5.0\r\n",
            "\r\n",
        ])
    )

    static let rawTellSetRemove = Transcript(
        name: "rawTellSetRemove",
        request: bytes([
            "TELL SPAMC/1.5\r\n",
            "Message-class: spam\r\n",
            "Set: local\r\n",
            "Remove: local\r\n",
            "Content-length: 152\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: Unable to set local and remove local in the same operation.\r\n"])
    )

    static let rawClosed = Transcript(
        name: "rawClosed",
        request: bytes([]),
        response: bytes(["SPAMD/1.0 76 Bad header line: (closed before headers)\r\n"])
    )

    static let rawEofInHeaders = Transcript(
        name: "rawEofInHeaders",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Content-length: 5\r\n",
        ]),
        response: bytes(["SPAMD/1.0 76 Bad header line: (EOF during headers)\r\n"])
    )

    static let rawPing15Noblank = Transcript(
        name: "rawPing15Noblank",
        request: bytes(["PING SPAMC/1.5\r\n"]),
        response: bytes(["SPAMD/1.0 76 Bad header line: (EOF during headers)\r\n"])
    )

    static let rawEmptyClen = Transcript(
        name: "rawEmptyClen",
        request: bytes([
            "CHECK SPAMC/1.5\r\n",
            "Content-length:\r\n",
            "\r\n",
        ]) + Messages.ham,
        response: bytes(["SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected  bytes, got 20 bytes)\r\n"])
    )

}
