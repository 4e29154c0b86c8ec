// Put text into a text box at the caret, keeping everything already typed (a selection is kept too: the text
// goes after it), with a space either side where it would otherwise touch a word. The caret ends after it.
export function insertAtCursor(field, text) {
  const value = field.value;
  const at = field.selectionEnd ?? value.length;
  const before = value.slice(0, at);
  const after = value.slice(at);
  const lead = before && !/\s$/.test(before) ? " " : "";
  const trail = after && !/^\s/.test(after) ? " " : "";
  field.value = before + lead + text + trail + after;
  field.focus();
  const caret = before.length + lead.length + text.length;
  field.setSelectionRange(caret, caret);
  field.dispatchEvent(new Event("input", { bubbles: true }));
}
