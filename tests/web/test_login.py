from tests.conftest import DEMO_PASSWORD, csrf_token


def test_login_page_is_chinese_and_has_a_csrf_token(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "登录" in html and "用户名" in html and "密码" in html
    assert csrf_token(html)
    assert '<html lang="zh-CN">' in html


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_demo_user_logs_in_and_sees_the_funds_of_its_region(client, web_login):
    response = web_login("province_maker")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "三结合项目经费" in html
    assert "5,180,000.00" in html  # budget
    assert "13,650,000.00" in html
    assert "10,000,000.00" in html  # the unitemised part of the 2017 line
    assert "省计生协财务经办" in html


def test_county_home_shows_its_received_and_available_money(client, web_login):
    web_login("leiyang_finance")
    html = client.get("/").get_data(as_text=True)
    assert "耒阳市" in html
    assert "200,000.00" in html  # received of 2017 三结合
    assert "107,000.00" in html  # available after payments and the pending one
    assert "贷款贴息" in html
    assert "2018-DKTX" not in html  # never reached 耒阳市


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "auditor", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_chinese_error_and_keeps_the_name(client, web_login):
    response = web_login("auditor", "wrong-password-9")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "用户名或密码不正确" in html
    assert 'value="auditor"' in html
    assert client.get("/").status_code == 302


def test_login_rotates_the_session_and_logout_ends_it(client, web_login):
    client.get("/login")
    before = client.get_cookie("fundtrack_session")
    web_login("auditor")
    after = client.get_cookie("fundtrack_session")
    assert after is not None and (before is None or before.value != after.value)
    assert after.http_only
    assert after.same_site == "Lax"
    page = client.get("/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_after_login_is_refused(client):
    page = client.get("/login?next=https://evil.example/")
    response = client.post(
        "/login?next=https://evil.example/",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "username": "auditor",
            "password": DEMO_PASSWORD,
        },
    )
    assert response.headers["Location"] == "/"


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_page_is_a_chinese_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "页面不存在" in response.get_data(as_text=True)
