import Foundation

/// The last hour's charts as inline SVG drawn on the server: one bar per minute, the current
/// minute at the right. Each chart is a `figure` whose `svg` has `role="img"`, a `title` and an
/// `aria-label` saying the totals, and `data-chart` (`throughput` or `failure-rate`) and
/// `data-chart-queue` (empty for all queues) by which `dashboard.js` redraws it from live
/// updates, with the same geometry (`width` × `height`, bars of `slot − 2`).
enum Charts {
    static let width = 600, height = 100

    /// Both charts of `figures`, for queue `queue` (nil: every queue together).
    static func lastHour(_ figures: QueueThroughput, queue: String?) -> HTML {
        """
        <div class="charts" data-testid="charts-\(queue ?? "all")">\(throughput(figures, queue: queue))\(failureRate(figures, queue: queue))</div>
        """
    }

    /// Completed jobs per minute.
    static func throughput(_ figures: QueueThroughput, queue: String?) -> HTML {
        let total = figures.completed.reduce(0, +)
        let peak = figures.completed.max() ?? 0
        let label = "Completed per minute, last hour: \(total) in total, at most \(peak) in a minute"
        let bars = figures.completed.map { Double($0) / Double(max(peak, 1)) }
        let tips = figures.completed.map { "\($0) completed" }
        return chart("throughput", queue: queue, label: label, bars: bars, tips: tips, start: figures.start,
                     caption: "Throughput: <strong data-chart-total>\(total)</strong> completed in the last hour",
                     totals: "data-completed=\"\(total)\"")
    }

    /// The share of finished jobs that failed for good, per minute (no bar where none finished).
    static func failureRate(_ figures: QueueThroughput, queue: String?) -> HTML {
        let failed = figures.failed.reduce(0, +)
        let finished = failed + figures.completed.reduce(0, +)
        let label = "Failure rate per minute, last hour: \(failed) failed of \(finished) finished (\(percent(failed, of: finished)))"
        let tips = zip(figures.completed, figures.failed).map { "\($1) failed of \($0 + $1)" }
        return chart("failure-rate", queue: queue, label: label, bars: figures.failureRates.map { $0 ?? 0 }, tips: tips,
                     start: figures.start,
                     caption: "Failure rate: <strong data-chart-total>\(percent(failed, of: finished))</strong> in the last hour",
                     totals: "data-failed=\"\(failed)\" data-finished=\"\(finished)\"")
    }

    /// `part` of `whole` as `12.5%` (`–` of nothing).
    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "–" : String(format: "%.1f%%", Double(part) * 100 / Double(whole))
    }

    /// A minute's start as `HH:MM UTC`.
    static func clock(_ milliseconds: Int64) -> String {
        let minute = Int(milliseconds / 60_000 % 1440)
        return String(format: "%02d:%02d UTC", minute / 60, minute % 60)
    }

    /// A bar chart of `bars` (each 0…1 of the height), one per minute from `start`.
    private static func chart(_ kind: String, queue: String?, label: String, bars: [Double], tips: [String], start: Int64,
                              caption: HTML, totals: HTML) -> HTML {
        let slot = Double(width) / Double(max(bars.count, 1))
        let rects = HTML(joining: zip(bars, tips).enumerated().map { index, bar in
            let barHeight = Int((bar.0 * Double(height - 4)).rounded())
            let minute = start + Int64(index) * 60_000
            return """
                <rect x="\(Int(Double(index) * slot + 1))" y="\(height - barHeight)" width="\(Int(slot) - 2)" height="\(barHeight)">\
                <title>\(clock(minute)): \(bar.1)</title></rect>
                """
        })
        let testID = "chart-\(kind)-\(queue ?? "all")"
        return """
            <figure class="chart" data-testid="\(testID)"><svg viewBox="0 0 \(width) \(height)" preserveAspectRatio="none" \
            role="img" aria-label="\(label)" data-chart="\(kind)" data-chart-queue="\(queue ?? "")" \(totals)>\
            <title>\(label)</title>\(rects)<line x1="0" y1="\(height)" x2="\(width)" y2="\(height)"></line></svg>\
            <figcaption>\(caption) <span class="axis">(\(clock(start)) – now)</span></figcaption></figure>
            """
    }
}
