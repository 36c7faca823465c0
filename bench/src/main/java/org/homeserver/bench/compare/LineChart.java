package org.homeserver.bench.compare;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * A line chart drawn with java.awt and written as a PNG (the JVM runs headless): a title, two axes
 * with tick labels, one line with round markers per series, each point labelled with its value,
 * and a legend to the right of the plot, where no line can run through it. The x axis has a tick at every measured x; the y axis has round ticks, from 0 when
 * linear, at powers of ten when logarithmic.
 */
final class LineChart {
  /** An axis: its label and whether it is logarithmic (base 10; its values must then be positive). */
  record Axis(String label, boolean logarithmic) {}

  /** A measured point. */
  record Point(double x, double y) {}

  private record Series(String name, List<Point> points, Color color) {}

  private static final int WIDTH = 1100;
  private static final int HEIGHT = 600;
  /** The plot area's distance from the image's edges: room for the title, tick labels, axis labels and legend. */
  private static final int LEFT = 100;
  private static final int RIGHT = 200;
  private static final int TOP = 60;
  private static final int BOTTOM = 70;
  private static final int MARKER = 8;
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0xff7f0e)};
  private static final Color GRID = new Color(0xe0e0e0);
  private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 18);
  private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
  private static final Font VALUE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

  private final String title;
  private final Axis x;
  private final Axis y;
  private final List<Series> series = new ArrayList<>();

  LineChart(String title, Axis x, Axis y) {
    this.title = title;
    this.x = x;
    this.y = y;
  }

  /**
   * Adds a series; points whose y is not a number (not measured) are left out, and so are those a
   * logarithmic axis cannot show (0 and below).
   */
  LineChart add(String name, List<Point> points) {
    List<Point> measured = points.stream().filter(p -> !Double.isNaN(p.y()))
        .filter(p -> (!x.logarithmic() || p.x() > 0) && (!y.logarithmic() || p.y() > 0)).toList();
    series.add(new Series(name, measured, COLORS[series.size() % COLORS.length]));
    return this;
  }

  void write(Path png) throws IOException {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      List<Point> all = series.stream().flatMap(s -> s.points().stream()).toList();
      if (all.isEmpty()) {
        throw new IllegalStateException("nothing to draw in " + title);
      }
      List<Double> xTicks = List.copyOf(new TreeSet<>(all.stream().map(Point::x).toList()));
      List<Double> yTicks = yTicks(all.stream().mapToDouble(Point::y).max().orElseThrow(),
          all.stream().mapToDouble(Point::y).filter(v -> v > 0).min().orElse(1));
      Scale xScale = xScale(xTicks);
      Scale yScale = new Scale(y.logarithmic(), yTicks.getFirst(), yTicks.getLast(), HEIGHT - BOTTOM, TOP);
      drawGridAndTicks(g, xTicks, xScale, yTicks, yScale);
      drawLabels(g);
      for (int i = 0; i < series.size(); i++) {
        drawSeries(g, series.get(i), xScale, yScale, i % 2 == 0);
      }
      drawLegend(g);
    } finally {
      g.dispose();
    }
    ImageIO.write(image, "png", png.toFile());
  }

  /** The x axis spans the measured x values with a margin, so no marker sits on the frame. */
  private Scale xScale(List<Double> ticks) {
    double min = ticks.getFirst();
    double max = ticks.getLast();
    if (x.logarithmic()) {
      return new Scale(true, min / 1.5, max * 1.5, LEFT, WIDTH - RIGHT);
    }
    double margin = max == min ? Math.max(1, max) * 0.1 : (max - min) * 0.05;
    return new Scale(false, Math.max(0, min - margin), max + margin, LEFT, WIDTH - RIGHT);
  }

  /**
   * Linear: 0 to a round value above the largest, in steps of 1, 2 or 5 times a power of ten.
   * Logarithmic: the powers of ten around the values, with 2 and 5 times each when they span at
   * most two decades.
   */
  private List<Double> yTicks(double max, double positiveMin) {
    List<Double> ticks = new ArrayList<>();
    if (y.logarithmic()) {
      int low = (int) Math.floor(Math.log10(positiveMin));
      int high = Math.max(low + 1, (int) Math.ceil(Math.log10(max)));
      for (int decade = low; decade <= high; decade++) {
        double power = Math.pow(10, decade);
        ticks.add(power);
        if (high - low <= 2 && decade < high) {
          ticks.add(2 * power);
          ticks.add(5 * power);
        }
      }
      return ticks;
    }
    double step = roundStep(Math.max(max, 1e-9) / 5);
    for (int i = 0; i * step < max + step; i++) {
      ticks.add(i * step);
    }
    return ticks;
  }

  /** The smallest of 1, 2 or 5 times a power of ten that is at least {@code raw}. */
  private static double roundStep(double raw) {
    double power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double multiple : new double[] {1, 2, 5, 10}) {
      if (multiple * power >= raw) {
        return multiple * power;
      }
    }
    return 10 * power;
  }

  private void drawGridAndTicks(Graphics2D g, List<Double> xTicks, Scale xs, List<Double> yTicks, Scale ys) {
    g.setFont(TICK_FONT);
    FontMetrics metrics = g.getFontMetrics();
    for (double tick : yTicks) {
      int py = ys.pixel(tick);
      g.setColor(GRID);
      g.drawLine(LEFT, py, WIDTH - RIGHT, py);
      g.setColor(Color.BLACK);
      String label = number(tick);
      g.drawString(label, LEFT - 8 - metrics.stringWidth(label), py + metrics.getAscent() / 2 - 1);
    }
    for (double tick : xTicks) {
      int px = xs.pixel(tick);
      g.setColor(GRID);
      g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
      g.setColor(Color.BLACK);
      String label = number(tick);
      g.drawString(label, px - metrics.stringWidth(label) / 2, HEIGHT - BOTTOM + 8 + metrics.getAscent());
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
  }

  private void drawLabels(Graphics2D g) {
    g.setColor(Color.BLACK);
    g.setFont(TITLE_FONT);
    g.drawString(title, (WIDTH - g.getFontMetrics().stringWidth(title)) / 2, TOP - 24);
    g.setFont(LABEL_FONT);
    FontMetrics metrics = g.getFontMetrics();
    String xLabel = x.label() + (x.logarithmic() ? " (log scale)" : "");
    g.drawString(xLabel, LEFT + (WIDTH - LEFT - RIGHT - metrics.stringWidth(xLabel)) / 2, HEIGHT - 20);
    String yLabel = y.label() + (y.logarithmic() ? " (log scale)" : "");
    AffineTransform saved = g.getTransform();
    g.rotate(-Math.PI / 2);
    // Rotated a quarter turn back, x runs up the image and y to the right.
    g.drawString(yLabel, -(TOP + (HEIGHT - TOP - BOTTOM + metrics.stringWidth(yLabel)) / 2), 24);
    g.setTransform(saved);
  }

  /** The series' line and markers, each value written beside its marker, above or below it (so two series' values part). */
  private static void drawSeries(Graphics2D g, Series s, Scale xs, Scale ys, boolean valuesAbove) {
    g.setColor(s.color());
    g.setStroke(new BasicStroke(2.5f));
    g.setFont(VALUE_FONT);
    for (int i = 0; i < s.points().size(); i++) {
      Point p = s.points().get(i);
      int px = xs.pixel(p.x());
      int py = ys.pixel(p.y());
      if (i > 0) {
        Point previous = s.points().get(i - 1);
        g.drawLine(xs.pixel(previous.x()), ys.pixel(previous.y()), px, py);
      }
      g.fillOval(px - MARKER / 2, py - MARKER / 2, MARKER, MARKER);
      g.drawString(number(p.y()), px + MARKER, valuesAbove ? py - MARKER / 2 - 2 : py + MARKER / 2 + 12);
    }
    g.setStroke(new BasicStroke(1f));
  }

  /** The series' names with their colours, in a box right of the plot area, at its top. */
  private void drawLegend(Graphics2D g) {
    g.setFont(LABEL_FONT);
    FontMetrics metrics = g.getFontMetrics();
    int lineHeight = metrics.getHeight() + 4;
    int width = series.stream().mapToInt(s -> metrics.stringWidth(s.name())).max().orElse(0) + 50;
    int boxX = WIDTH - RIGHT + 15;
    int boxY = TOP;
    g.setColor(new Color(255, 255, 255, 230));
    g.fillRect(boxX, boxY, width, lineHeight * series.size() + 8);
    g.setColor(Color.GRAY);
    g.drawRect(boxX, boxY, width, lineHeight * series.size() + 8);
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      int lineY = boxY + 4 + lineHeight * i + lineHeight / 2;
      g.setColor(s.color());
      g.setStroke(new BasicStroke(2.5f));
      g.drawLine(boxX + 8, lineY, boxX + 32, lineY);
      g.fillOval(boxX + 20 - MARKER / 2, lineY - MARKER / 2, MARKER, MARKER);
      g.setStroke(new BasicStroke(1f));
      g.setColor(Color.BLACK);
      g.drawString(s.name(), boxX + 40, lineY + metrics.getAscent() / 2 - 1);
    }
  }

  /** 1,234 from 1 up; two significant digits below. */
  private static String number(double value) {
    if (Math.abs(value) >= 1 || value == 0) {
      return String.format(Locale.ROOT, "%,.0f", value);
    }
    return String.format(Locale.ROOT, "%.2g", value);
  }

  /** Maps the values of an axis from {@code min} to {@code max} onto the pixels from {@code from} to {@code to}. */
  private record Scale(boolean logarithmic, double min, double max, int from, int to) {
    int pixel(double value) {
      double share = logarithmic
          ? (Math.log10(value) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
          : (value - min) / (max - min);
      return (int) Math.round(from + share * (to - from));
    }
  }
}
