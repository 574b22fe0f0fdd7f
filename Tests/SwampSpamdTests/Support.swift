import Testing
@testable import SwampSpamd
