"The fitting widget of chapter 3 in a real JupyterLab and a real browser: moving a slider changes the loss shown."
from conftest import write_notebook, open_lab_notebook

def test_slider_changes_loss(lab, browser):
    write_notebook(lab[2]/'fit.ipynb',
        "import torch\nfrom mylib.foundations import fit_widget, quad\n"
        "x = torch.linspace(-2, 2, 20)[:, None]; y = quad(3, 2, 1, x)\n"
        "fit_widget(lambda x, a, b, c: quad(a, b, c, x), x, y, a=(-1, 6, 1.5), b=(-3, 5, 1.5), c=(-3, 5, 1.5))")
    page = open_lab_notebook(browser, lab, 'fit.ipynb')
    loss = page.locator('.mylib-loss')
    loss.wait_for()
    page.wait_for_function("() => document.querySelector('.mylib-loss').innerText.includes('MSE')")
    before = loss.inner_text()
    handle = page.locator('.widget-slider .noUi-handle').first
    handle.click()
    for _ in range(20): handle.press('ArrowRight')
    page.wait_for_function("b => document.querySelector('.mylib-loss').innerText !== b", arg=before)
    after = loss.inner_text()
    assert before.startswith('MSE') and after.startswith('MSE') and after != before
    # a = 1.5 -> 1.7 moves towards the truth (a = 3): the loss must have fallen
    assert float(after.split()[1]) < float(before.split()[1])
    page.close()
