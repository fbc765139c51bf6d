import Foundation
import Hummingbird

/// The dashboard's CSS and script: resources of this module (`Assets/`), read once, served with
/// a day of caching.
enum DashboardAssets {
    /// File name → (content type, bytes).
    static let files: [String: (type: String, bytes: [UInt8])] = {
        var files: [String: (type: String, bytes: [UInt8])] = [:]
        for (name, type) in [("dashboard.css", "text/css; charset=utf-8"), ("dashboard.js", "text/javascript; charset=utf-8")] {
            let parts = name.split(separator: ".")
            if let url = Bundle.module.url(forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Assets"),
               let data = try? Data(contentsOf: url) {
                files[name] = (type, Array(data))
            }
        }
        return files
    }()
}

extension Dashboard {
    func addAssetRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        routes.get("assets/:file") { _, context -> Response in
            guard let name = context.parameters.get("file"), let file = DashboardAssets.files[name] else {
                return Response(status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "public, max-age=86400"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
    }
}
