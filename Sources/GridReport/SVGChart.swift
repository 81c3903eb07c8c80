import Foundation

/// One axis of a ``LineChart``: its title (with the unit), linear or logarithmic, and optionally fixed bounds or
/// fixed ticks (the percentile axis labels its own ticks).
public struct ChartAxis: Sendable {
    public var title: String
    public var logarithmic: Bool
    /// Fixed bounds; `nil` takes them from the data (a linear axis then starts at 0 when `includesZero`).
    public var lower: Double?
    public var upper: Double?
    public var includesZero: Bool
    /// Fixed ticks with their labels; `nil` picks round numbers.
    public var ticks: [(value: Double, label: String)]?

    public init(
        title: String, logarithmic: Bool = false, lower: Double? = nil, upper: Double? = nil,
        includesZero: Bool = true, ticks: [(value: Double, label: String)]? = nil
    ) {
        self.title = title
        self.logarithmic = logarithmic
        self.lower = lower
        self.upper = upper
        self.includesZero = includesZero
        self.ticks = ticks
    }
}

/// A point of a series; `y == nil` leaves a gap in the line.
public struct ChartPoint: Sendable {
    /// How the point itself is drawn, beyond the line through it.
    public enum Mark: Sendable {
        case none
        case dot
        /// A filled circle: this probe met the SLO.
        case pass
        /// A cross: this probe did not.
        case fail
    }

    public var x: Double
    public var y: Double?
    public var mark: Mark
    /// Text shown beside the point (e.g. "max").
    public var label: String?

    public init(x: Double, y: Double?, mark: Mark = .none, label: String? = nil) {
        self.x = x
        self.y = y
        self.mark = mark
        self.label = label
    }
}

public struct ChartSeries: Sendable {
    public var name: String
    public var points: [ChartPoint]
    /// A CSS colour written by this code (never from a file).
    public var color: String
    public var dashed: Bool
    public var drawsLine: Bool

    public init(name: String, points: [ChartPoint], color: String, dashed: Bool = false, drawsLine: Bool = true) {
        self.name = name
        self.points = points
        self.color = color
        self.dashed = dashed
        self.drawsLine = drawsLine
    }
}

/// A vertical (fault, knee, sustainable rate) or horizontal (SLO target) line across the plot, with its label.
public struct ChartMarker: Sendable {
    public var value: Double
    public var label: String
    public var color: String

    public init(value: Double, label: String, color: String) {
        self.value = value
        self.label = label
        self.color = color
    }
}

/// A span of the x axis drawn shaded (warm-up, cool-down), with its label.
public struct ChartBand: Sendable {
    public var from: Double
    public var to: Double
    public var label: String

    public init(from: Double, to: Double, label: String) {
        self.from = from
        self.to = to
        self.label = label
    }
}

/// A line chart as inline SVG: axes with ticks and titles, series (lines, points), vertical and horizontal
/// markers, shaded bands and a legend. Pure: the same chart always gives the same text.
public struct LineChart: Sendable {
    /// Element id prefix, unique in the page (letters and digits, chosen by the caller's code).
    public var id: String
    public var title: String
    public var x: ChartAxis
    public var y: ChartAxis
    public var series: [ChartSeries]
    public var verticalMarkers: [ChartMarker] = []
    public var horizontalMarkers: [ChartMarker] = []
    public var bands: [ChartBand] = []
    public var width: Double = 1000
    public var height: Double = 380

    public init(id: String, title: String, x: ChartAxis, y: ChartAxis, series: [ChartSeries]) {
        self.id = id
        self.title = title
        self.x = x
        self.y = y
        self.series = series
    }

    static let margin = (left: 78.0, right: 190.0, top: 34.0, bottom: 56.0)

    /// The SVG, or `nil` when no series has a single drawable point (the caller then says what is missing).
    public func svg() -> String? {
        let drawable = series.map { series in
            ChartSeries(
                name: series.name,
                points: series.points.map { point in
                    var point = point
                    if !isDrawable(x: point.x, logarithmic: x.logarithmic)
                        || !(point.y.map { isDrawable(x: $0, logarithmic: y.logarithmic) } ?? true)
                    {
                        point.y = nil
                    }
                    return point
                }, color: series.color, dashed: series.dashed, drawsLine: series.drawsLine)
        }
        let xs = drawable.flatMap { $0.points.compactMap { $0.y == nil ? nil : $0.x } }
        let ys = drawable.flatMap { $0.points.compactMap(\.y) }
        guard !xs.isEmpty else { return nil }
        let hValues = horizontalMarkers.map(\.value).filter { isDrawable(x: $0, logarithmic: y.logarithmic) }
        let vValues = verticalMarkers.map(\.value).filter { isDrawable(x: $0, logarithmic: x.logarithmic) }
        let xScale = AxisScale(axis: x, values: xs + vValues)
        let yScale = AxisScale(axis: y, values: ys + hValues)
        let m = Self.margin
        let plotWidth = width - m.left - m.right
        let plotHeight = height - m.top - m.bottom
        func px(_ value: Double) -> Double { m.left + xScale.fraction(value) * plotWidth }
        func py(_ value: Double) -> Double { m.top + (1 - yScale.fraction(value)) * plotHeight }

        var svg = SVGWriter(id: id, width: width, height: height, title: title)
        svg.text(x: m.left, y: 20, title, size: 15, weight: "bold")
        // Bands first, under everything else.
        for band in bands where band.to > band.from {
            let left = px(max(band.from, xScale.lower))
            let right = px(min(band.to, xScale.upper))
            guard right > left else { continue }
            svg.rect(x: left, y: m.top, width: right - left, height: plotHeight, fill: "#eef0f3")
            svg.text(
                x: (left + right) / 2, y: m.top + plotHeight - 6, band.label, size: 10, anchor: "middle",
                fill: "#6b7480", halo: true)
        }
        // Grid and ticks.
        for tick in yScale.ticks {
            let yPos = py(tick.value)
            svg.line(x1: m.left, y1: yPos, x2: m.left + plotWidth, y2: yPos, stroke: "#e1e5ea", width: 1)
            svg.text(x: m.left - 6, y: yPos + 4, tick.label, size: 11, anchor: "end")
        }
        for tick in xScale.ticks {
            let xPos = px(tick.value)
            svg.line(x1: xPos, y1: m.top, x2: xPos, y2: m.top + plotHeight, stroke: "#eef1f4", width: 1)
            svg.text(x: xPos, y: m.top + plotHeight + 16, tick.label, size: 11, anchor: "middle")
        }
        svg.rect(x: m.left, y: m.top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#8a939e")
        svg.text(x: m.left + plotWidth / 2, y: height - 12, x.title, size: 12, anchor: "middle")
        svg.text(
            x: 16, y: m.top + plotHeight / 2, y.title, size: 12, anchor: "middle",
            transform: "rotate(-90 16 \(SVGWriter.number(m.top + plotHeight / 2)))")

        svg.beginClip(x: m.left, y: m.top, width: plotWidth, height: plotHeight)
        for marker in horizontalMarkers where isDrawable(x: marker.value, logarithmic: y.logarithmic) {
            let yPos = py(marker.value)
            svg.line(
                x1: m.left, y1: yPos, x2: m.left + plotWidth, y2: yPos, stroke: marker.color, width: 2, dash: "8 4")
            svg.text(x: m.left + plotWidth - 4, y: yPos - 5, marker.label, size: 11, anchor: "end", fill: marker.color)
        }
        // Vertical marker labels stagger into rows when they would overlap.
        var rowEnds: [Double] = []
        for marker in verticalMarkers.sorted(by: { $0.value < $1.value })
        where isDrawable(x: marker.value, logarithmic: x.logarithmic) {
            let xPos = px(marker.value)
            svg.line(
                x1: xPos, y1: m.top, x2: xPos, y2: m.top + plotHeight, stroke: marker.color, width: 1.5, dash: "5 3")
            let labelWidth = SVGWriter.textWidth(marker.label, size: 10)
            let flipsLeft = xPos + 3 + labelWidth > m.left + plotWidth
            let start = flipsLeft ? xPos - 3 - labelWidth : xPos + 3
            var row = rowEnds.firstIndex { $0 < start } ?? rowEnds.count
            if row >= 6 { row = rowEnds.indices.min { rowEnds[$0] < rowEnds[$1] } ?? 0 }
            if row == rowEnds.count { rowEnds.append(0) }
            rowEnds[row] = start + labelWidth + 4
            svg.text(
                x: flipsLeft ? xPos - 3 : xPos + 3, y: m.top + 12 + Double(row) * 12, marker.label, size: 10,
                anchor: flipsLeft ? "end" : "start", fill: marker.color, halo: true)
        }
        for series in drawable {
            if series.drawsLine {
                var run: [(Double, Double)] = []
                func flush() {
                    if run.count > 1 { svg.polyline(run, stroke: series.color, dashed: series.dashed) }
                    run = []
                }
                for point in series.points {
                    if let value = point.y { run.append((px(point.x), py(value))) } else { flush() }
                }
                flush()
            }
            for point in series.points {
                guard let value = point.y else { continue }
                let (xPos, yPos) = (px(point.x), py(value))
                switch point.mark {
                case .none:
                    // A lone point between gaps would be invisible as a line.
                    if series.drawsLine && series.points.count == 1 {
                        svg.circle(x: xPos, y: yPos, r: 3, fill: series.color)
                    }
                case .dot: svg.circle(x: xPos, y: yPos, r: 3, fill: series.color)
                case .pass: svg.circle(x: xPos, y: yPos, r: 4.5, fill: series.color, stroke: "#ffffff")
                case .fail: svg.cross(x: xPos, y: yPos, size: 5, stroke: series.color)
                }
                if let label = point.label {
                    // Near the right or top edge the label goes to the left of and below the point.
                    let nearEdge = xPos > m.left + plotWidth * 0.85 || yPos < m.top + 14
                    svg.text(
                        x: nearEdge ? xPos - 6 : xPos + 6, y: nearEdge ? yPos + 14 : yPos - 6, label, size: 10,
                        anchor: nearEdge ? "end" : "start", fill: series.color, halo: true)
                }
            }
        }
        svg.endClip()
        // Legend in the right margin.
        var legendY = m.top + 8
        let legendX = m.left + plotWidth + 14
        for series in drawable where series.points.contains(where: { $0.y != nil }) {
            guard legendY < height - 20 else { break }
            if series.drawsLine {
                svg.line(
                    x1: legendX, y1: legendY - 4, x2: legendX + 22, y2: legendY - 4, stroke: series.color, width: 2.5,
                    dash: series.dashed ? "6 3" : nil)
            } else {
                svg.circle(x: legendX + 11, y: legendY - 4, r: 4, fill: series.color)
            }
            svg.text(x: legendX + 28, y: legendY, SVGWriter.truncated(series.name, 22), size: 11)
            legendY += 17
        }
        if drawable.contains(where: { $0.points.contains { $0.mark == .pass || $0.mark == .fail } }) {
            legendY += 4
            svg.circle(x: legendX + 11, y: legendY - 4, r: 4.5, fill: "#555555")
            svg.text(x: legendX + 28, y: legendY, "met the SLO", size: 11)
            legendY += 17
            svg.cross(x: legendX + 11, y: legendY - 4, size: 5, stroke: "#555555")
            svg.text(x: legendX + 28, y: legendY, "missed the SLO", size: 11)
        }
        return svg.finish()
    }

    private func isDrawable(x value: Double, logarithmic: Bool) -> Bool {
        value.isFinite && (!logarithmic || value > 0) && abs(value) < 1e15
    }
}

/// Horizontal bars, one per labelled value (per-node CPU, sustainable rate per sweep cell), with an optional
/// second value drawn as a tick on each bar (the recommended rate).
public struct BarChart: Sendable {
    public struct Bar: Sendable {
        public var label: String
        public var value: Double
        public var tick: Double?
        public var color: String
        /// Text after the bar; the value when `nil`.
        public var note: String?

        public init(label: String, value: Double, tick: Double? = nil, color: String = "#3b6fb6", note: String? = nil) {
            self.label = label
            self.value = value
            self.tick = tick
            self.color = color
            self.note = note
        }
    }

    public var id: String
    public var title: String
    public var axisTitle: String
    public var bars: [Bar]
    public var tickLegend: String?
    public var width: Double = 1000
    /// Fixed upper end of the axis (1.0 for a utilisation), or `nil` to fit the values.
    public var upper: Double?

    public init(id: String, title: String, axisTitle: String, bars: [Bar], tickLegend: String? = nil) {
        self.id = id
        self.title = title
        self.axisTitle = axisTitle
        self.bars = bars
        self.tickLegend = tickLegend
    }

    /// The SVG, or `nil` without a finite bar.
    public func svg(formatValue: (Double) -> String) -> String? {
        let shown = bars.filter { $0.value.isFinite && abs($0.value) < 1e15 }
        guard !shown.isEmpty else { return nil }
        let rowHeight = 22.0
        let (left, right, top, bottom) = (200.0, 150.0, 34.0, 50.0)
        let height = top + Double(shown.count) * rowHeight + bottom
        let plotWidth = width - left - right
        let values = shown.flatMap { [$0.value] + ($0.tick.map { [$0] } ?? []) }.filter(\.isFinite)
        let scale = AxisScale(
            axis: ChartAxis(title: axisTitle, upper: upper.map { max($0, values.max() ?? 0) }), values: values)
        func px(_ value: Double) -> Double { left + scale.fraction(value) * plotWidth }
        var svg = SVGWriter(id: id, width: width, height: height, title: title)
        svg.text(x: left, y: 20, title, size: 15, weight: "bold")
        let plotBottom = top + Double(shown.count) * rowHeight
        for tick in scale.ticks {
            svg.line(x1: px(tick.value), y1: top, x2: px(tick.value), y2: plotBottom, stroke: "#e1e5ea", width: 1)
            svg.text(x: px(tick.value), y: plotBottom + 16, tick.label, size: 11, anchor: "middle")
        }
        for (index, bar) in shown.enumerated() {
            let rowTop = top + Double(index) * rowHeight
            svg.text(x: left - 8, y: rowTop + 15, SVGWriter.truncated(bar.label, 30), size: 11, anchor: "end")
            let start = px(min(0, max(scale.lower, 0)))
            let end = px(min(max(bar.value, scale.lower), scale.upper))
            svg.rect(
                x: min(start, end), y: rowTop + 4, width: max(1, abs(end - start)), height: rowHeight - 8,
                fill: bar.color)
            if let tick = bar.tick, tick.isFinite {
                svg.line(
                    x1: px(tick), y1: rowTop + 1, x2: px(tick), y2: rowTop + rowHeight - 1, stroke: "#1d232b",
                    width: 2.5)
            }
            svg.text(
                x: max(start, end, bar.tick.map(px) ?? end) + 6, y: rowTop + 15, bar.note ?? formatValue(bar.value),
                size: 11)
        }
        svg.line(x1: left, y1: top, x2: left, y2: plotBottom, stroke: "#8a939e", width: 1)
        svg.text(x: left + plotWidth / 2, y: height - 12, axisTitle, size: 12, anchor: "middle")
        if let tickLegend {
            // Right-aligned on the title's line, so a long legend stays inside the picture.
            let legendStart = width - 10 - SVGWriter.textWidth(tickLegend, size: 11)
            svg.line(x1: legendStart - 8, y1: 10, x2: legendStart - 8, y2: 24, stroke: "#1d232b", width: 2.5)
            svg.text(x: width - 10, y: 21, tickLegend, size: 11, anchor: "end")
        }
        return svg.finish()
    }
}

/// Maps values to a fraction of an axis and picks its ticks.
struct AxisScale {
    var lower: Double
    var upper: Double
    var logarithmic: Bool
    var ticks: [(value: Double, label: String)]

    init(axis: ChartAxis, values: [Double]) {
        logarithmic = axis.logarithmic
        let finite = values.filter { $0.isFinite && (!axis.logarithmic || $0 > 0) }
        var low = axis.lower ?? finite.min() ?? 0
        var high = axis.upper ?? finite.max() ?? 1
        if axis.logarithmic {
            low = max(low, 1e-9)
            high = max(high, low)
            let lowDecade = Foundation.floor(Foundation.log10(low))
            var highDecade = Foundation.ceil(Foundation.log10(high))
            if highDecade <= lowDecade { highDecade = lowDecade + 1 }
            lower = axis.lower ?? Foundation.pow(10, lowDecade)
            upper = axis.upper ?? Foundation.pow(10, highDecade)
            let decades = Int(highDecade - lowDecade)
            var picked: [(Double, String)] = []
            for decade in Int(lowDecade)...Int(highDecade) {
                let base = Foundation.pow(10, Double(decade))
                for factor in decades <= 3 ? [1.0, 2, 5] : [1.0] {
                    let value = base * factor
                    if value >= lower * 0.999 && value <= upper * 1.001 {
                        picked.append((value, AxisScale.label(value, step: value)))
                    }
                }
            }
            ticks = axis.ticks ?? picked
            return
        }
        if axis.includesZero && axis.lower == nil { low = min(low, 0) }
        if high <= low { high = low + (low == 0 ? 1 : abs(low) * 0.1) }
        let step = AxisScale.niceStep((high - low) / 8)
        lower = axis.lower ?? Foundation.floor(low / step) * step
        upper = axis.upper ?? Foundation.ceil(high / step) * step
        if upper <= lower { upper = lower + step }
        var picked: [(Double, String)] = []
        var value = lower
        while value <= upper + step * 1e-6 && picked.count < 40 {
            picked.append((value, AxisScale.label(value, step: step)))
            value += step
        }
        ticks = axis.ticks ?? picked
    }

    func fraction(_ value: Double) -> Double {
        if logarithmic {
            let low = Foundation.log10(lower)
            let high = Foundation.log10(upper)
            return high > low ? (Foundation.log10(max(value, 1e-12)) - low) / (high - low) : 0.5
        }
        return upper > lower ? (value - lower) / (upper - lower) : 0.5
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        for factor in [1.0, 2, 5, 10] where factor * power >= raw * 0.999 { return factor * power }
        return 10 * power
    }

    /// A tick label with as many decimals as the step needs; thousands as "k" from 10,000 on.
    static func label(_ value: Double, step: Double) -> String {
        let rounded = abs(value) < step * 1e-9 ? 0 : value
        if abs(rounded) >= 10_000, (rounded / 1000).rounded() == rounded / 1000 {
            return Format.fixed(rounded / 1000, 0) + "k"
        }
        let decimals = step >= 1 ? 0 : min(6, Int(Foundation.ceil(-Foundation.log10(step) - 1e-9)))
        return Format.fixed(rounded, decimals)
    }
}

/// Writes SVG elements; escapes every text and rounds every coordinate so the output is stable.
struct SVGWriter {
    private var body: String
    private let id: String

    init(id: String, width: Double, height: Double, title: String) {
        self.id = id
        body =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"\(HTMLText.escape(id))\" "
            + "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" role=\"img\" "
            + "aria-label=\"\(HTMLText.escape(title))\">\n<title>\(HTMLText.escape(title))</title>\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"#ffffff\"/>\n"
    }

    static func number(_ value: Double) -> String { Format.fixed(value.isFinite ? value : 0, 1) }

    /// Rough width of a text in pixels at a font size (average glyph of a sans-serif font).
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }

    static func truncated(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    mutating func text(
        x: Double, y: Double, _ text: String, size: Double, anchor: String = "start", fill: String = "#1d232b",
        weight: String? = nil, transform: String? = nil, halo: Bool = false
    ) {
        var attributes = "x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\""
        attributes += " text-anchor=\"\(anchor)\" fill=\"\(fill)\""
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let transform { attributes += " transform=\"\(transform)\"" }
        if halo { attributes += " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"" }
        body += "<text \(attributes)>\(HTMLText.escape(text))</text>\n"
    }

    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double, dash: String? = nil
    ) {
        body +=
            "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" "
            + "y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>\n"
    }

    mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil
    ) {
        body +=
            "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" "
            + "height=\"\(Self.number(height))\" fill=\"\(fill)\"" + (stroke.map { " stroke=\"\($0)\"" } ?? "")
            + "/>\n"
    }

    mutating func circle(x: Double, y: Double, r: Double, fill: String, stroke: String? = nil) {
        body +=
            "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(r))\" fill=\"\(fill)\""
            + (stroke.map { " stroke=\"\($0)\" stroke-width=\"1.5\"" } ?? "") + "/>\n"
    }

    mutating func cross(x: Double, y: Double, size: Double, stroke: String) {
        line(x1: x - size, y1: y - size, x2: x + size, y2: y + size, stroke: stroke, width: 2.5)
        line(x1: x - size, y1: y + size, x2: x + size, y2: y - size, stroke: stroke, width: 2.5)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, dashed: Bool) {
        let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        body +=
            "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"2\" "
            + "stroke-linejoin=\"round\"" + (dashed ? " stroke-dasharray=\"6 3\"" : "") + "/>\n"
    }

    mutating func beginClip(x: Double, y: Double, width: Double, height: Double) {
        let clip = "\(HTMLText.escape(id))-plot"
        body +=
            "<clipPath id=\"\(clip)\"><rect x=\"\(Self.number(x - 6))\" y=\"\(Self.number(y - 6))\" "
            + "width=\"\(Self.number(width + 12))\" height=\"\(Self.number(height + 12))\"/></clipPath>\n"
            + "<g clip-path=\"url(#\(clip))\">\n"
    }

    mutating func endClip() { body += "</g>\n" }

    func finish() -> String { body + "</svg>\n" }
}

/// Colours for series, fixed so that the same series keeps its colour across charts.
enum Palette {
    static let offered = "#8a939e"
    static let achieved = "#3b6fb6"
    static let committed = "#2e7d32"
    static let p50 = "#3b6fb6"
    static let p99 = "#e65100"
    static let max = "#8e24aa"
    static let fault = "#c62828"
    static let slo = "#c62828"
    static let knee = "#6a1b9a"
    static let sustainable = "#2e7d32"
    static let recommended = "#00838f"
    static let cycle = [
        "#3b6fb6", "#e65100", "#2e7d32", "#8e24aa", "#00838f", "#c62828", "#6d4c41", "#f9a825", "#5c6bc0",
        "#43a047", "#d81b60", "#546e7a",
    ]

    static func color(_ index: Int) -> String { cycle[index % cycle.count] }
}
