// Behaviour the templates declare with data attributes (the Content-Security-Policy allows no inline handlers).
// <select data-autosubmit>: choosing an option submits its form (language switch, category pickers).
document.addEventListener("change", (event) => {
  const field = event.target.closest?.("[data-autosubmit]");
  if (field?.form) field.form.submit();  // as before: no validation of the fields the page re-renders for
});

// <button data-canned="text" data-canned-target="id_body">: puts a canned reply into the reply box (admin).
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("[data-canned]");
  if (!button) return;
  const target = document.getElementById(button.dataset.cannedTarget || "id_body");
  if (target) {
    target.value = button.dataset.canned;
    target.focus();
  }
});
