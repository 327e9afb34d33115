/* Keys typed into a table before its cell editor has opened reach the editor, in order.

   A table answer is an st.data_editor (glide-data-grid). Typing on a selected cell opens
   that cell's editor, but asynchronously: the editor's text field is added to the page
   (in #portal) a moment after the first key: 40-150 ms on a quiet machine, a second or
   more on a loaded one. Until then the keys land on the table (its canvas, or the cell of
   its accessibility table that holds the focus after a click), where the grid asks again
   for an editor with each letter, so the editor opens with one of them only ("o" for
   "App o"), and a space scrolls the page down by a screen. A person who clicks a cell and
   types straight away lost letters, got them out of order ("rApp owne") or saw the page
   jump.

   So this listens, in the page, for printable keys typed on a table. The first one goes to
   the grid, which opens the editor with it (and says so by cancelling the key's default
   action); the next ones are held back from the grid and the page until the editor's field
   exists, then the field is given all of them, in order. Keys that land on the table while
   its editor is open (the field has not got the focus yet, or a redraw moved it) are added
   after what the field holds. Pointer presses and other keys (Enter, Tab, Escape, arrows)
   clear what is pending, so nothing is replayed into another cell, and a click outside an
   open editor marks it as closing: the keys typed next are for the cell clicked.

   Second case: a click into a table just as the rerun after the previous cell's save ends.
   The grid keeps the focus on an element of its own that the redraw replaces, so the focus
   falls back to the page and the keys typed next go nowhere. A printable key that reaches
   the page (not a field) within 3 s of a click into a table, with no editor open, is given
   back to that table. */
(function () {
  const win = window.parent;
  const doc = win.document;
  const TABLE = '[data-testid="stDataFrame"], [data-testid="stDataFrameResizable"]';
  let pending = "";     // printable keys typed on a table and not yet in an editor's field
  let opening = false;  // the grid took one of them to open its editor: hold the others back
  let offered = null;   // the last key given to the grid while no editor was open
  let since = 0;
  let lastGrid = null;  // the table last clicked into (its cell has the focus unless a redraw took it)
  let lastGridAt = 0;
  let replaying = false;
  const closing = new WeakSet();  // editor fields a click outside them is closing (committing)

  function clear() {
    pending = "";
    opening = false;
    offered = null;
  }

  function taken() {  // the grid cancels the key it opens its editor with
    if (!opening && offered && offered.defaultPrevented) opening = true;
    offered = null;
  }

  function editorField() {
    const portal = doc.getElementById("portal");
    if (!portal) return null;
    const field = portal.querySelector("textarea, input:not([type]), input[type='text'], input[type='number']");
    return field && !closing.has(field) ? field : null;
  }

  function give() {
    if (!pending) return;
    const field = editorField();
    if (!field) return;
    taken();
    const keys = pending;
    const opened = opening;
    clear();
    const now = field.value || "";
    // An editor the grid opened for these keys holds one of them (or nothing): it gets them all.
    // Otherwise the keys follow what the field holds (the cell's text of an editor opened with
    // Enter, the letters typed into it before a redraw moved its focus).
    const text = opened && (now === "" || keys.includes(now)) ? keys : now + keys;
    if (text === now) return;
    const proto = field.tagName === "TEXTAREA" ? win.HTMLTextAreaElement.prototype : win.HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(field, text);
    field.dispatchEvent(new win.Event("input", { bubbles: true }));  // the editor (React) takes it as typed
    try { field.setSelectionRange(text.length, text.length); } catch (e) { /* number fields */ }
  }

  function editable(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function printable(ev) {
    return ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey && !ev.altKey;
  }

  function hold(ev) {
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }

  function onKey(ev) {
    const t = ev.target;
    if (replaying) return;
    if (t && !editable(t) && !(t.closest && t.closest(TABLE)) && lastGrid && lastGrid.isConnected &&
        performance.now() - lastGridAt < 3000 && printable(ev) && !editorField()) {
      // The table had the focus from the click, but the rerun after the previous cell's save
      // redrew its cells and the focus fell back to the page: the keys would be lost (and "r"
      // would rerun the app, "c" clear its cache). Give the focus back and replay the key.
      hold(ev);
      pending += ev.key;
      since = performance.now();
      const canvas = lastGrid.querySelector("canvas[tabindex]") || lastGrid.querySelector("canvas");
      if (!canvas) return;
      canvas.focus({ preventScroll: true });
      if (opening) return;
      replaying = true;
      try {
        if (!canvas.dispatchEvent(new win.KeyboardEvent("keydown", { key: ev.key, code: ev.code, bubbles: true, cancelable: true }))) {
          opening = true;  // the grid opens its editor with it
        }
      } finally { replaying = false; }
      return;
    }
    if (!t || editable(t) || !t.closest || !t.closest("canvas") || !t.closest(TABLE)) return;
    if (!printable(ev)) {
      if (ev.key !== "Shift") clear();
      return;
    }
    taken();
    if (!opening && performance.now() - since > 2000) pending = "";
    pending += ev.key;
    since = performance.now();
    if (editorField()) {  // open, but without the focus yet: the key goes after what it holds
      hold(ev);
      setTimeout(give, 0);
    } else if (opening) {
      hold(ev);  // the grid would ask for its editor again, with this key only
    } else if (ev.key === " ") {
      // the grid opens no editor with a space, and the page would scroll down a screen
      if (pending.length > 1) ev.preventDefault();
    } else {
      // the grid gets the key; whether it opened its editor with it shows once the key's handlers
      // have run (it cancels the key), so it is read at the next key or when the field appears
      offered = ev;
    }
  }

  function onPointer(ev) {
    clear();
    const t = ev.target;
    // A click outside the open editor commits and closes it, a moment later on a busy machine: the
    // keys typed next are for the cell clicked, never for that field
    const field = editorField();
    if (field && !(t instanceof win.Node && field.contains(t))) closing.add(field);
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
