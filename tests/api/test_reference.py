def test_province_has_14_prefectures_with_122_counties_below(api):
    auditor = api("auditor")
    response = auditor.get("/api/v1/regions?parent=430000")
    assert response.status_code == 200
    prefectures = response.get_json()["items"]
    assert len(prefectures) == 14
    assert {p["level"] for p in prefectures} == {"prefecture"}
    counties = []
    for prefecture in prefectures:
        children = auditor.get(f"/api/v1/regions?parent={prefecture['code']}").get_json()["items"]
        counties.extend(children)
    assert len(counties) == 122
    assert {c["level"] for c in counties} == {"county"}
    assert not [c for c in counties if c["name"] == "市辖区"]


def test_codes_are_those_of_2017_2018(api):
    regions = {r["code"]: r for r in api("auditor").get("/api/v1/regions").get_json()["items"]}
    assert len(regions) == 137
    assert regions["430124"]["name"] == "宁乡县"
    assert regions["430221"]["name"] == "株洲县"
    assert regions["430521"]["name"] == "邵东县"
    assert regions["430481"] == {
        "code": "430481",
        "name": "耒阳市",
        "level": "county",
        "parent": "430400",
    }
    assert regions["431028"]["name"] == "安仁县"
    assert regions["430000"]["parent"] is None


def test_unknown_parent_is_404_and_bad_code_is_422(api):
    auditor = api("auditor")
    response = auditor.get("/api/v1/regions?parent=999900")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = auditor.get("/api/v1/regions?parent=abc")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_categories_separate_earmarkable_lines_from_running_costs(api):
    items = api("leiyang_finance").get("/api/v1/categories").get_json()["items"]
    by_name = {c["name"]: c for c in items}
    for name in ("项目扶持", "贷款贴息", "保险保费", "住院护理补贴", "困难家庭救助", "技能培训"):
        assert by_name[name]["earmarkable"] is True, name
    for name in ("办公费", "会议费", "公务接待费"):
        assert by_name[name]["earmarkable"] is False, name
    assert by_name["办公费"]["economic_code"] == "30201"
