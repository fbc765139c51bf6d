import Testing
@testable import RoostDashboard
