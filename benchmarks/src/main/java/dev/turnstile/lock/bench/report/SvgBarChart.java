package dev.turnstile.lock.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * A grouped bar chart as a self-contained SVG string: one group per workload, one bar per
 * contender. The value axis is linear and starts at 0, so bar lengths compare honestly; every bar
 * carries its value, a bar whose rounds hit the round cap is hatched, and with repetitions a
 * whisker spans their min–max. The title says whether higher or lower is better. A missing value
 * (NaN) is written as "n/a" on the axis instead of a bar.
 */
public final class SvgBarChart {
    private static final String[] PALETTE = {
        "#d62728", "#ff7f0e", "#1f77b4", "#aec7e8", "#2ca02c", "#98df8a", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf"};
    private static final int GROUP_GAP = 18;
    private static final int MIN_GROUP_WIDTH = 112;
    private static final int LEFT = 78;
    private static final int TOP = 84;
    private static final int PLOT_HEIGHT = 260;
    private static final int MIN_WIDTH = 640;
    private static final double CHAR_WIDTH = 6.4;

    private SvgBarChart() {
    }

    /**
     * One bar.
     *
     * @param value  its height; NaN when not measured
     * @param low    lower end of its whisker (NaN for none)
     * @param high   upper end of its whisker (NaN for none)
     * @param capped whether any of its rounds was stopped at the round cap
     */
    public record Bar(double value, double low, double high, boolean capped) {
        /** A bar without whisker. */
        public static Bar of(double value, boolean capped) {
            return new Bar(value, Double.NaN, Double.NaN, capped);
        }
    }

    /**
     * @param title  the chart's heading
     * @param better "higher is better" or "lower is better", shown with the title
     * @param unit   the value axis's label
     * @param groups one label per group (x axis)
     * @param series one label per bar in a group (legend)
     * @param bars   {@code bars[series][group]}, {@code null} where the contender did not run the group
     * @return the SVG document
     */
    public static String render(String title, String better, String unit, List<String> groups, List<String> series,
                                Bar[][] bars) {
        double top = 0;
        boolean anyCapped = false;
        boolean anyWhisker = false;
        for (Bar[] row : bars) {
            for (Bar b : row) {
                if (b != null && !Double.isNaN(b.value())) {
                    top = Math.max(top, Math.max(b.value(), Double.isNaN(b.high()) ? 0 : b.high()));
                    anyCapped |= b.capped();
                    anyWhisker |= !Double.isNaN(b.high());
                }
            }
        }
        double step = niceStep(top > 0 ? top * 1.2 : 1);
        double axisMax = Math.max(step, Math.ceil(top * 1.2 / step) * step);
        int bar = series.size() <= 3 ? 24 : series.size() <= 6 ? 16 : 13;
        int groupWidth = Math.max(series.size() * bar + GROUP_GAP,
                Math.max(MIN_GROUP_WIDTH, (MIN_WIDTH - LEFT - 20) / Math.max(1, groups.size())));
        int plotWidth = groups.size() * groupWidth;
        int width = Math.max(LEFT + plotWidth + 20, MIN_WIDTH);
        List<String> legend = new java.util.ArrayList<>(series);
        int legendRows = legendRows(legend, width, anyCapped, anyWhisker);
        int legendTop = TOP + PLOT_HEIGHT + 44;
        int height = legendTop + 18 * legendRows + 8;

        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"11\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
                        + "<defs><pattern id=\"capped\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
                        + "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"white\" fill-opacity=\"0.0\"/>"
                        + "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"black\" stroke-width=\"2\" stroke-opacity=\"0.55\"/>"
                        + "</pattern></defs>%n",
                width, height, width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                LEFT, esc(title)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"38\" font-size=\"12\" fill=\"#333\">%s</text>%n",
                LEFT, esc(better + " · linear axis from 0 · value printed on each bar")));
        svg.append(String.format(Locale.ROOT,
                "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
                TOP + PLOT_HEIGHT / 2, esc(unit)));
        for (double t = 0; t <= axisMax + step / 2; t += step) {
            double y = y(t, axisMax);
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT, y, LEFT + plotWidth, y, LEFT - 4, y + 4, format(t)));
        }
        for (int g = 0; g < groups.size(); g++) {
            int x0 = LEFT + g * groupWidth + (groupWidth - series.size() * bar) / 2;
            for (int s = 0; s < series.size(); s++) {
                Bar b = bars[s][g];
                if (b == null) {
                    continue;
                }
                int x = x0 + s * bar;
                double cx = x + (bar - 1) / 2.0;
                if (Double.isNaN(b.value())) {
                    svg.append(valueLabel(cx, TOP + PLOT_HEIGHT - 3, "n/a", "#777"));
                    continue;
                }
                double y = y(b.value(), axisMax);
                String tip = esc(series.get(s) + ", " + groups.get(g) + ": " + format(b.value())
                        + (b.capped() ? " (round cap hit)" : ""));
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>%n",
                        x, y, bar - 1, TOP + PLOT_HEIGHT - y, color(s), tip));
                if (b.capped()) {
                    svg.append(String.format(Locale.ROOT,
                            "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"url(#capped)\"/>%n",
                            x, y, bar - 1, TOP + PLOT_HEIGHT - y));
                }
                double labelY = y;
                if (!Double.isNaN(b.high())) {
                    double yl = y(b.low(), axisMax);
                    double yh = y(b.high(), axisMax);
                    svg.append(String.format(Locale.ROOT,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>"
                                    + "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>"
                                    + "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>%n",
                            cx, yl, cx, yh, cx - 3, yh, cx + 3, yh, cx - 3, yl, cx + 3, yl));
                    labelY = Math.min(labelY, yh);
                }
                svg.append(valueLabel(cx, labelY - 3, format(b.value()) + (b.capped() ? " capped" : ""), "black"));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    LEFT + g * groupWidth + groupWidth / 2, TOP + PLOT_HEIGHT + 16, esc(groups.get(g))));
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>"
                        + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP + PLOT_HEIGHT, LEFT + plotWidth, TOP + PLOT_HEIGHT, LEFT, TOP - 6, LEFT, TOP + PLOT_HEIGHT));
        legend(svg, series, width, legendTop, anyCapped, anyWhisker);
        return svg.append("</svg>\n").toString();
    }

    /** A value written upwards from ({@code x}, {@code y}), so that it fits over a narrow bar. */
    private static String valueLabel(double x, double y, String text, String fill) {
        return String.format(Locale.ROOT,
                "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" font-size=\"10\" fill=\"%s\" dominant-baseline=\"middle\">%s</text>%n",
                x, y, fill, esc(text));
    }

    private static int legendRows(List<String> series, int width, boolean capped, boolean whisker) {
        int rows = 1;
        double x = LEFT;
        for (String item : legendItems(series, capped, whisker)) {
            double w = itemWidth(item);
            if (x + w > width - 10 && x > LEFT) {
                rows++;
                x = LEFT;
            }
            x += w;
        }
        return rows;
    }

    private static List<String> legendItems(List<String> series, boolean capped, boolean whisker) {
        List<String> items = new java.util.ArrayList<>(series);
        if (capped) {
            items.add("hatched: round cap hit (the figure is what was done before the cap)");
        }
        if (whisker) {
            items.add("whisker: min–max over repetitions");
        }
        return items;
    }

    private static double itemWidth(String label) {
        return 16 + label.length() * CHAR_WIDTH + 18;
    }

    private static void legend(StringBuilder svg, List<String> series, int width, int legendTop, boolean capped,
                               boolean whisker) {
        List<String> items = legendItems(series, capped, whisker);
        double x = LEFT;
        int y = legendTop;
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i);
            double w = itemWidth(item);
            if (x + w > width - 10 && x > LEFT) {
                x = LEFT;
                y += 18;
            }
            String swatch = i < series.size() ? "fill=\"" + color(i) + "\""
                    : item.startsWith("hatched") ? "fill=\"url(#capped)\" stroke=\"#555\"" : "fill=\"none\" stroke=\"none\"";
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"12\" %s/>", x, y - 10, swatch));
            if (i >= series.size() && item.startsWith("whisker")) {
                svg.append(String.format(Locale.ROOT,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>", x + 6, y - 10, x + 6, y + 2));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>%n", x + 16, y, esc(item)));
            x += w;
        }
    }

    private static double y(double v, double axisMax) {
        return TOP + PLOT_HEIGHT * (1 - Math.max(0, Math.min(1, v / axisMax)));
    }

    /** A round step (1, 2 or 5 times a power of ten) that gives about five grid lines up to {@code max}. */
    static double niceStep(double max) {
        double raw = max / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / magnitude;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
    }

    /** A figure short enough for a bar: thousands separated, three significant digits below 100. */
    static String format(double v) {
        if (v == 0) {
            return "0";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString();
    }

    static String color(int series) {
        return PALETTE[series % PALETTE.length];
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
