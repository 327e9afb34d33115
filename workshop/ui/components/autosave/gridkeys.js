/* Keys typed into a table before its cell editor has opened reach the editor.

   A table answer is an st.data_editor (glide-data-grid). Typing on a selected cell opens
   that cell's editor, but asynchronously: the editor's text field is added to the page
   (in #portal) a moment after the first key, and the keys typed until then land on the
   table's canvas and are dropped, the first one often with them ("pp owner" for "App
   owner"). Measured in the browser tests: the field appears 40-150 ms after the key, longer
   on a loaded machine. A person who clicks a cell and types straight away loses letters.

   This listens, in the page, for printable keys typed on a table's canvas and, as soon as
   the editor's field exists, puts into it the keys it has not received (the grid may
   already have put one of them there). Pointer presses and other keys (Enter, Tab,
   Escape, arrows) clear what is pending, so nothing is replayed into another cell.

   Second case: a click into a table just as the rerun after the previous cell's save ends.
   The grid keeps the focus on an element of its own that the redraw replaces, so the focus
   falls back to the page and the keys typed next go nowhere. A printable key that reaches
   the page (not a field) within 3 s of a click into a table, with no editor open, is given
   back to that table. */
(function () {
  const win = window.parent;
  const doc = win.document;
  const TABLE = '[data-testid="stDataFrame"], [data-testid="stDataFrameResizable"]';
  let pending = "";
  let since = 0;
  let lastGrid = null;  // the table last clicked into (its cell has the focus unless a redraw took it)
  let lastGridAt = 0;
  let replaying = false;

  function editorField() {
    const portal = doc.getElementById("portal");
    if (!portal) return null;
    return portal.querySelector("textarea, input:not([type]), input[type='text'], input[type='number']");
  }

  function give() {
    if (!pending) return;
    const field = editorField();
    if (!field) return;
    const keys = pending;
    pending = "";
    const now = field.value || "";
    if (now === keys) return;  // the grid kept them all
    // the grid opens its editor with nothing or with one of these keys (the first or the latest):
    // the keys typed, in full and in order; anything else in the field stays in front of them
    const text = keys.includes(now) ? keys : now + keys;
    const proto = field.tagName === "TEXTAREA" ? win.HTMLTextAreaElement.prototype : win.HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(field, text);
    field.dispatchEvent(new win.Event("input", { bubbles: true }));  // the editor (React) takes it as typed
    try { field.setSelectionRange(text.length, text.length); } catch (e) { /* number fields */ }
  }

  function editable(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function onKey(ev) {
    const t = ev.target;
    if (replaying) return;
    if (t && !editable(t) && !(t.closest && t.closest(TABLE)) && lastGrid && lastGrid.isConnected &&
        performance.now() - lastGridAt < 3000 && ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey &&
        !ev.altKey && !editorField()) {
      // The table had the focus from the click, but the rerun after the previous cell's save
      // redrew its cells and the focus fell back to the page: the keys would be lost (and "r"
      // would rerun the app, "c" clear its cache). Give the focus back and replay the key.
      ev.preventDefault();
      ev.stopImmediatePropagation();
      pending += ev.key;
      since = performance.now();
      const canvas = lastGrid.querySelector("canvas[tabindex]") || lastGrid.querySelector("canvas");
      if (!canvas) return;
      canvas.focus();
      replaying = true;
      try {
        canvas.dispatchEvent(new win.KeyboardEvent("keydown", { key: ev.key, code: ev.code, bubbles: true, cancelable: true }));
      } finally { replaying = false; }
      return;
    }
    if (!t || t.tagName !== "CANVAS" || !t.closest(TABLE)) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.key.length !== 1) {
      if (ev.key !== "Shift") pending = "";
      return;
    }
    if (performance.now() - since > 2000) pending = "";
    pending += ev.key;
    since = performance.now();
    if (editorField()) setTimeout(give, 0);  // the field exists but has no focus yet
  }

  function onPointer(ev) {
    pending = "";
    const t = ev.target;
    lastGrid = t && t.closest ? t.closest(TABLE) : null;  // the grid's scroller, above its canvas
    lastGridAt = performance.now();
  }

  if (doc.__uwGridKeysOff) { try { doc.__uwGridKeysOff(); } catch (e) { /* old frame gone */ } }
  doc.addEventListener("keydown", onKey, true);
  doc.addEventListener("pointerdown", onPointer, true);
  const observer = new MutationObserver(() => give());
  const watchPortal = () => {
    const portal = doc.getElementById("portal");
    if (portal) observer.observe(portal, { childList: true, subtree: true });
    return !!portal;
  };
  if (!watchPortal()) { const t = setInterval(() => { if (watchPortal()) clearInterval(t); }, 500); }
  const off = () => {
    doc.removeEventListener("keydown", onKey, true);
    doc.removeEventListener("pointerdown", onPointer, true);
    observer.disconnect();
  };
  doc.__uwGridKeysOff = off;
  window.addEventListener("pagehide", off);
})();
