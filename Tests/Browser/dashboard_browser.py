#!/usr/bin/env python3
"""Drives a real RoostDashboard in headless Chromium (Selenium, chromium-driver).

Run by DashboardBrowserTests with a dashboard and a queue holding failed jobs:

    dashboard_browser.py --url http://127.0.0.1:PORT --queue NAME --job FAILED_ID \
        --failed N --waiting M --mapreduce NAMESPACE/JOB --lock NAME [--screenshots DIR]

Loads the overview and checks the queue's counts and the last hour's charts, opens the queue's
failed list and the failed job (its attempts), presses Retry (the page's form: a real POST with
the CSRF token), and checks that the overview, open in another window and never reloaded,
shows the new counts (server-sent events). Then the MapReduce list and job pages (--mapreduce
NAMESPACE/JOB, a finished job) and the coordination page (--lock NAME, a held lock, whose lease
left counts down without a reload). Fails on any console error in any page. With
--screenshots, saves PNGs of the overview, queue, job, compute, coordination and server pages
there. Prints one line per step; exits 0 when all pass.
"""

import argparse
import os
import shutil
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# Console errors let through, each with why. None: every page names its (empty) icon, so the
# browser asks for no /favicon.ico.
KNOWN_ERRORS = []

# Every wait ends by this many seconds; a slow CI machine gets a clear failure, not a hang.
DEADLINE = 30


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def step(message):
    print("ok: " + message, flush=True)


def find_binary(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    fail("none of %s is installed (apt-get install chromium chromium-driver)" % ", ".join(names))


def start_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = find_binary("chromium", "chromium-browser")
    # CI runs as root, where Chromium's sandbox cannot start.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,860",
                     "--disable-gpu", "--force-device-scale-factor=1", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager would otherwise try to download one.
    return webdriver.Chrome(service=Service(executable_path=find_binary("chromedriver")), options=options)


class Check:
    def __init__(self, driver, url, screenshots):
        self.driver = driver
        self.url = url.rstrip("/")
        self.screenshots = screenshots
        self.console = []

    def wait(self, what, condition):
        try:
            return WebDriverWait(self.driver, DEADLINE).until(lambda _: condition())
        except TimeoutException:
            fail("after %ds, still not: %s (page %s)" % (DEADLINE, what, self.driver.current_url))

    def testid(self, name):
        return self.driver.find_element(By.CSS_SELECTOR, '[data-testid="%s"]' % name)

    def text(self, name):
        elements = self.driver.find_elements(By.CSS_SELECTOR, '[data-testid="%s"]' % name)
        return elements[0].text.strip() if elements else None

    def wait_text(self, name, expected):
        self.wait("%s shows %r (it shows %r)" % (name, expected, self.text(name)), lambda: self.text(name) == expected)

    def open(self, path, testid):
        self.driver.get(self.url + path)
        self.wait("%s has %s" % (path, testid), lambda: self.text(testid) is not None)
        self.collect_console()

    def live(self):
        """Waits until the page's event stream is open (the script says so in the header)."""
        self.wait_text("live-status", "live")

    def screenshot(self, name):
        if not self.screenshots:
            return
        # The whole page: grow the window to the document's height, then restore it.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, max(860, min(height, 2400)))
        path = os.path.join(self.screenshots, name + ".png")
        if not self.driver.save_screenshot(path):
            fail("could not save " + path)
        self.driver.set_window_size(1280, 860)
        step("screenshot " + path)

    def collect_console(self):
        """Drains the current window's console log, keeping every entry."""
        self.console += [(self.driver.current_url, entry) for entry in self.driver.get_log("browser")]

    def console_errors(self):
        return [(url, entry) for url, entry in self.console
                if entry.get("level") == "SEVERE" and not any(known in entry.get("message", "") for known in KNOWN_ERRORS)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--job", required=True, help="a failed job's id")
    parser.add_argument("--failed", type=int, required=True, help="the queue's failed count before the retry")
    parser.add_argument("--waiting", type=int, required=True, help="the queue's waiting count before the retry")
    parser.add_argument("--mapreduce", required=True, help="a finished MapReduce job as NAMESPACE/JOB")
    parser.add_argument("--lock", required=True, help="a held lock's name")
    parser.add_argument("--screenshots", help="a folder to save PNGs of the main pages in")
    arguments = parser.parse_args()
    if arguments.screenshots:
        os.makedirs(arguments.screenshots, exist_ok=True)
    queue, job = arguments.queue, arguments.job

    driver = start_browser()
    try:
        check = Check(driver, arguments.url, arguments.screenshots)
        step("Chromium %s, chromedriver %s" % (driver.capabilities.get("browserVersion"),
                                             driver.capabilities.get("chrome", {}).get("chromedriverVersion", "?").split(" ")[0]))

        # The overview: the queue's counts, live.
        check.open("/", "queue-row-" + queue)
        check.live()
        check.wait_text("count-%s-failed" % queue, str(arguments.failed))
        check.wait_text("count-%s-waiting" % queue, str(arguments.waiting))
        step("overview shows %s: %d failed, %d waiting, live" % (queue, arguments.failed, arguments.waiting))
        for chart in ("chart-throughput-all", "chart-failure-rate-all"):
            if check.text(chart) is None:
                fail("the overview has no %s" % chart)
        step("overview shows the last hour's charts")
        check.screenshot("overview")
        overview = driver.current_window_handle
        # A mark that a reload would wipe: the counts must change without one.
        driver.execute_script("window.roostBrowserTestMark = 'not reloaded';")

        # Another window: the queue's failed jobs, then the job, then Retry.
        driver.switch_to.new_window("window")
        driver.set_window_size(1280, 860)
        check.open("/", "queue-link-" + queue)
        check.testid("queue-link-" + queue).click()
        check.wait("the queue page opens", lambda: check.text("queue-name") == queue)
        check.testid("tab-failed").click()
        check.wait("the failed list shows job " + job, lambda: check.text("job-link-" + job) == job)
        check.collect_console()
        check.screenshot("queue")
        check.testid("job-link-" + job).click()
        check.wait("the job page opens", lambda: check.text("job-title") == job)
        check.collect_console()
        if check.text("job-state") != "failed":
            fail("job %s is %r, not failed" % (job, check.text("job-state")))
        if not check.text("job-error"):
            fail("the failed job's page shows no error")
        if check.text("attempt-outcome") is None or not check.text("attempt-error"):
            fail("the failed job's page shows no attempt with its error")
        step("job %s opened: failed, error %r, attempt %s" % (job, check.text("job-error"), check.text("attempt-outcome")))
        check.screenshot("job")
        check.testid("action-retry").click()
        check.wait("the retry's notice shows", lambda: check.text("notice") is not None)
        check.wait_text("job-state", "waiting")
        check.collect_console()
        step("Retry pressed: notice %r, job waiting" % check.text("notice"))

        # The overview, untouched since, shows the new counts.
        driver.switch_to.window(overview)
        check.wait_text("count-%s-failed" % queue, str(arguments.failed - 1))
        check.wait_text("count-%s-waiting" % queue, str(arguments.waiting + 1))
        if driver.execute_script("return window.roostBrowserTestMark") != "not reloaded":
            fail("the overview was reloaded")
        check.collect_console()
        step("overview counts changed live: %d failed, %d waiting, no reload" % (arguments.failed - 1, arguments.waiting + 1))

        # MapReduce: the list, then the finished job's page.
        namespace, mr_job = arguments.mapreduce.split("/", 1)
        row = "%s-%s" % (namespace, mr_job)
        check.open("/compute", "mr-row-" + row)
        if check.text("mr-status-" + row) != "done":
            fail("MapReduce job %s is %r, not done" % (row, check.text("mr-status-" + row)))
        check.testid("mr-link-" + row).click()
        check.wait("the MapReduce job page opens", lambda: check.text("mr-status") == "done")
        check.collect_console()
        step("MapReduce %s: %s, map done %s, reduce done %s" % (row, check.text("mr-status"), check.text("phase-map-done"),
                                                               check.text("phase-reduce-done")))
        check.screenshot("compute")

        # Coordination: the held lock, its lease counting down without a reload.
        check.open("/coordination", "coordination")
        driver.execute_script("window.roostBrowserTestMark = 'not reloaded';")
        row_selector = '[data-testid="lock-row"][data-name="%s"] [data-testid="lease-left"]' % arguments.lock
        check.wait("lock %s is listed" % arguments.lock, lambda: driver.find_elements(By.CSS_SELECTOR, row_selector))
        first = driver.find_element(By.CSS_SELECTOR, row_selector).text
        check.wait("the lease left of %s changes (it was %r)" % (arguments.lock, first),
                   lambda: driver.find_element(By.CSS_SELECTOR, row_selector).text != first)
        if driver.execute_script("return window.roostBrowserTestMark") != "not reloaded":
            fail("the coordination page was reloaded")
        step("coordination shows lock %s, lease left %r then %r, no reload" %
             (arguments.lock, first, driver.find_element(By.CSS_SELECTOR, row_selector).text))
        check.collect_console()
        check.screenshot("coordination")

        # The server page.
        check.open("/server", "nav-server")
        check.live()
        check.screenshot("server")
        check.collect_console()

        for url, entry in check.console:
            print("console %s %s: %s" % (entry.get("level"), url, entry.get("message")), flush=True)
        errors = check.console_errors()
        if errors:
            fail("%d console error(s), the first: %s" % (len(errors), errors[0][1].get("message")))
        step("no console errors (%d entries)" % len(check.console))
        print("PASS", flush=True)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
