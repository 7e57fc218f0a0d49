// Building the page from elements and text nodes only. The page's policy (Trusted Types
// with no policy) makes the browser refuse every HTML-string sink, so API data is always
// text, never markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

export function html(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node;
}

// A figure keeps its caption; whatever it showed before goes.
export function resetFigure(figure) {
  for (const child of [...figure.children]) {
    if (child.tagName !== "FIGCAPTION") child.remove();
  }
}

export function table(node, head, rows) {
  node.replaceChildren(
    html("thead", {}, html("tr", {}, head.map((title) => html("th", { scope: "col" }, title)))),
    html("tbody", {}, rows.map((cells) => html("tr", {}, cells.map((cell) => html("td", {}, cell))))),
  );
}

export function figures(node, entries) {
  node.replaceChildren(
    ...entries.flatMap(([term, value, key]) => [
      html("dt", {}, term),
      html("dd", { "data-figure": key }, value),
    ]),
  );
}
