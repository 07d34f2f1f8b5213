package dev.turnstile.lock.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A labelled scatter chart as a self-contained SVG string, for the fairness/throughput frontier:
 * each point is one lock configuration, its throughput up the y axis and a wait figure along the x
 * axis. Both axes are linear and start at 0, so distances compare honestly; better is up and to the
 * left. Labels are nudged apart vertically where they would overlap.
 */
public final class SvgScatterChart {
    private static final int LEFT = 78;
    private static final int TOP = 56;
    private static final int PLOT_WIDTH = 560;
    private static final int PLOT_HEIGHT = 320;
    private static final int RIGHT = 250;
    private static final double CHAR_WIDTH = 6.2;

    private SvgScatterChart() {
    }

    /**
     * One point.
     *
     * @param label  what the point is
     * @param x      the wait figure (NaN: not drawn)
     * @param y      the throughput
     * @param series colour index
     * @param capped whether any of its rounds hit the round cap (drawn hollow)
     */
    public record Point(String label, double x, double y, int series, boolean capped) {
    }

    /**
     * @param title  the chart's heading
     * @param xUnit  the x axis's label
     * @param yUnit  the y axis's label
     * @param points the points
     * @return the SVG document
     */
    public static String render(String title, String xUnit, String yUnit, List<Point> points) {
        double xTop = 0;
        double yTop = 0;
        for (Point p : points) {
            if (!Double.isNaN(p.x()) && !Double.isNaN(p.y())) {
                xTop = Math.max(xTop, p.x());
                yTop = Math.max(yTop, p.y());
            }
        }
        double xStep = SvgBarChart.niceStep(xTop > 0 ? xTop * 1.05 : 1);
        double yStep = SvgBarChart.niceStep(yTop > 0 ? yTop * 1.05 : 1);
        double xMax = Math.max(xStep, Math.ceil(xTop * 1.05 / xStep) * xStep);
        double yMax = Math.max(yStep, Math.ceil(yTop * 1.05 / yStep) * yStep);
        int width = LEFT + PLOT_WIDTH + RIGHT;
        int height = TOP + PLOT_HEIGHT + 60;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"11\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
                width, height, width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                LEFT, SvgBarChart.esc(title)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"38\" font-size=\"12\" fill=\"#333\">%s</text>%n", LEFT,
                "better is up (higher throughput) and to the left (shorter wait) · both axes linear from 0"
                        + " · hollow: round cap hit"));
        for (double t = 0; t <= yMax + yStep / 2; t += yStep) {
            double y = py(t, yMax);
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT, y, LEFT + PLOT_WIDTH, y, LEFT - 4, y + 4, SvgBarChart.format(t)));
        }
        for (double t = 0; t <= xMax + xStep / 2; t += xStep) {
            double x = px(t, xMax);
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                            + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x, TOP, x, TOP + PLOT_HEIGHT, x, TOP + PLOT_HEIGHT + 14, SvgBarChart.format(t)));
        }
        svg.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP + PLOT_HEIGHT, LEFT + PLOT_WIDTH, TOP + PLOT_HEIGHT, LEFT, TOP, LEFT, TOP + PLOT_HEIGHT));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + PLOT_WIDTH / 2, TOP + PLOT_HEIGHT + 34, SvgBarChart.esc(xUnit)));
        svg.append(String.format(Locale.ROOT,
                "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
                TOP + PLOT_HEIGHT / 2, SvgBarChart.esc(yUnit)));
        // Every point first, then the labels, so that a label can keep clear of every point, not just
        // of the labels placed before it; a white halo keeps a label legible over grid lines.
        List<double[]> dots = new ArrayList<>();
        List<Point> drawn = new ArrayList<>();
        for (Point p : points) {
            if (Double.isNaN(p.x()) || Double.isNaN(p.y())) {
                continue;
            }
            double x = px(p.x(), xMax);
            double y = py(p.y(), yMax);
            String colour = SvgBarChart.color(p.series());
            svg.append(String.format(Locale.ROOT,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"%s\" stroke-width=\"2\">"
                            + "<title>%s: %s, %s</title></circle>%n",
                    x, y, p.capped() ? "white" : colour, colour, SvgBarChart.esc(p.label()),
                    SvgBarChart.format(p.y()), SvgBarChart.format(p.x())));
            dots.add(new double[] {x, y});
            drawn.add(p);
        }
        List<double[]> placed = new ArrayList<>();
        for (int i = 0; i < drawn.size(); i++) {
            double x = dots.get(i)[0];
            double y = dots.get(i)[1];
            String text = drawn.get(i).label();
            double w = text.length() * CHAR_WIDTH;
            double ly = freeRow(placed, dots, x + 8, y + 4, w);
            placed.add(new double[] {x + 8, ly, w});
            if (Math.abs(ly - (y + 4)) > 1) {
                svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>",
                        x + 5, y, x + 8, ly - 4));
            }
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%.1f\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">%s</text>%n",
                    x + 8, ly, SvgBarChart.esc(text)));
        }
        return svg.append("</svg>\n").toString();
    }

    /**
     * The nearest baseline to {@code y} where a label of width {@code w} at {@code x} overlaps no label
     * placed so far and no point (a point's circle, radius 5 plus its stroke, against the label's box).
     */
    private static double freeRow(List<double[]> placed, List<double[]> dots, double x, double y, double w) {
        for (int k = 0; k < 40; k++) {
            double candidate = y + (k % 2 == 0 ? 1 : -1) * ((k + 1) / 2) * 13;
            if (!clashes(placed, dots, x, candidate, w)) {
                return candidate;
            }
        }
        return y;
    }

    private static boolean clashes(List<double[]> placed, List<double[]> dots, double x, double baseline, double w) {
        for (double[] b : placed) {
            if (Math.abs(b[1] - baseline) < 12 && x < b[0] + b[2] && b[0] < x + w) {
                return true;
            }
        }
        double top = baseline - 10;
        double bottom = baseline + 2;
        for (double[] d : dots) {
            if (d[0] + 6 > x && d[0] - 6 < x + w && d[1] + 6 > top && d[1] - 6 < bottom) {
                return true;
            }
        }
        return false;
    }

    private static double px(double v, double max) {
        return LEFT + PLOT_WIDTH * Math.max(0, Math.min(1, v / max));
    }

    private static double py(double v, double max) {
        return TOP + PLOT_HEIGHT * (1 - Math.max(0, Math.min(1, v / max)));
    }
}
