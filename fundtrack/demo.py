"""Demo data: the money of the Hunan family-planning association's 2018 work report.

Idempotent: every record is looked up by its natural key first. Each step commits on its
own, as a maker and a checker would in real life, so that the history shows who did what.
Amounts not given in the report (the split of 2018, allocations, payments) are illustrative.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from fundtrack.allocations.models import Allocation
from fundtrack.allocations.operations import approve_allocation, create_allocation
from fundtrack.beneficiaries.models import Beneficiary, Publicity
from fundtrack.beneficiaries.operations import (
    approve_registration,
    decide_objection,
    end_publicity,
    issue_publicity,
    record_objection,
    register_beneficiary,
)
from fundtrack.core.idnumber import check_digit
from fundtrack.core.money import parse_yuan, yuan_str
from fundtrack.core.versioning import acting_as, set_action
from fundtrack.disbursements.models import Disbursement
from fundtrack.disbursements.operations import approve_disbursement, create_disbursement
from fundtrack.evaluations.models import Evaluation
from fundtrack.evaluations.operations import (
    approve_evaluation,
    create_evaluation,
    submit_evaluation,
    update_evaluation,
)
from fundtrack.funds.models import BudgetLine, Fund
from fundtrack.funds.operations import approve_fund, create_budget_line, create_fund, unitemised_fen
from fundtrack.reference import load_reference_data
from fundtrack.users.models import User
from fundtrack.users.operations import check_password_strength, create_user, hash_password

#: (username, role, region, display name): DESIGN.md §6 plus the prefecture staff that the
#: demo allocations to counties need
DEMO_USERS = [
    ("admin", "admin", "430000", "系统管理员"),
    ("province_maker", "maker", "430000", "省计生协财务经办"),
    ("province_checker", "checker", "430000", "省计生协财务审批"),
    ("auditor", "auditor", "430000", "省审计厅审计员"),
    ("hengyang_finance", "maker", "430400", "衡阳市计生协财务"),
    ("hengyang_checker", "checker", "430400", "衡阳市计生协审批"),
    ("leiyang_finance", "maker", "430481", "耒阳市计生协财务"),
    ("leiyang_checker", "checker", "430481", "耒阳市计生协审批"),
    ("anren_finance", "maker", "431028", "安仁县计生协财务"),
    ("changsha_finance", "maker", "430100", "长沙市计生协财务"),
    ("chenzhou_finance", "maker", "431000", "郴州市计生协财务"),
    ("chenzhou_checker", "checker", "431000", "郴州市计生协审批"),
    ("yongzhou_finance", "maker", "431100", "永州市计生协财务"),
    ("yongzhou_checker", "checker", "431100", "永州市计生协审批"),
    ("yueyang_finance", "maker", "430600", "岳阳市计生协财务"),
    ("yueyang_checker", "checker", "430600", "岳阳市计生协审批"),
    # the other prefectures and counties that file evaluations in the demo
    ("zhuzhou_finance", "maker", "430200", "株洲市计生协财务"),
    ("xiangtan_finance", "maker", "430300", "湘潭市计生协财务"),
    ("shaoyang_finance", "maker", "430500", "邵阳市计生协财务"),
    ("changde_finance", "maker", "430700", "常德市计生协财务"),
    ("zhangjiajie_finance", "maker", "430800", "张家界市计生协财务"),
    ("yiyang_finance", "maker", "430900", "益阳市计生协财务"),
    ("huaihua_finance", "maker", "431200", "怀化市计生协财务"),
    ("loudi_finance", "maker", "431300", "娄底市计生协财务"),
    ("xiangxi_finance", "maker", "433100", "湘西州计生协财务"),
    ("ningyuan_finance", "maker", "431126", "宁远县计生协财务"),
    ("xintian_finance", "maker", "431128", "新田县计生协财务"),
    ("huarong_finance", "maker", "430623", "华容县计生协财务"),
]

#: 2017 evaluations: fund -> {region: (final score, reviewer)}. 三结合's best and worst
#: prefecture are 39.5 points apart, as the report says ("almost 40"); 张家界市 is graded 差.
EVALUATIONS_2017 = {
    "2017-SJH": {
        "430400": ("95.50", "province_checker"), "430100": ("93.00", "province_checker"),
        "430200": ("90.50", "province_checker"), "430300": ("88.00", "province_checker"),
        "430500": ("86.50", "province_checker"), "430600": ("84.00", "province_checker"),
        "430700": ("81.50", "province_checker"), "431000": ("79.00", "province_checker"),
        "430900": ("75.50", "province_checker"), "431100": ("72.00", "province_checker"),
        "431200": ("66.50", "province_checker"), "430800": ("56.00", "province_checker"),
        "430481": ("91.00", "hengyang_checker"), "431028": ("83.50", "chenzhou_checker"),
        "431126": ("77.00", "yongzhou_checker"), "431128": ("69.00", "yongzhou_checker"),
        "430623": ("88.50", "yueyang_checker"),
    },
    "2017-BX": {
        "430400": ("90.00", "province_checker"), "431100": ("82.00", "province_checker"),
        "430481": ("87.00", "hengyang_checker"),
    },
}  # fmt: skip

BUDGET_LINES = [
    (
        2017,
        "2017年省级项目经费",
        "38330000.00",
        "省级财政预算",
        "2018年工作报告：2017年省级项目经费3833万元，其中三结合项目经费518万元、"
        "计生家庭发展生产贷款贴息950万元、计生家庭系列保险1365万元；工作经费和项目经费合计4409万元",
    ),
    (
        2018,
        "2018年省级预算",
        "54360000.00",
        "省级财政预算",
        "2018年工作报告：2018年省级预算5436万元，比上年增加1026万元",
    ),
]

#: code, name, kind, year, budget, earmark
FUNDS = [
    ("2017-SJH", "三结合项目经费", "sanjiehe", 2017, "5180000.00",
     ["project_support", "skills_training"]),
    ("2017-DKTX", "计生家庭发展生产贷款贴息", "loan_interest", 2017, "9500000.00",
     ["loan_interest_subsidy"]),
    ("2017-BX", "计生家庭系列保险", "insurance", 2017, "13650000.00",
     ["insurance_premium", "hospital_allowance"]),
    ("2018-SJH", "三结合项目经费", "sanjiehe", 2018, "6000000.00",
     ["project_support", "skills_training"]),
    ("2018-DKTX", "计生家庭发展生产贷款贴息", "loan_interest", 2018, "10000000.00",
     ["loan_interest_subsidy"]),
    ("2018-BX", "计生家庭系列保险（含特殊家庭住院护理补贴）", "insurance", 2018, "16000000.00",
     ["insurance_premium", "hospital_allowance", "nursing_subsidy"]),
]  # fmt: skip

PREFECTURES = {
    "430100": "长沙市", "430200": "株洲市", "430300": "湘潭市", "430400": "衡阳市",
    "430500": "邵阳市", "430600": "岳阳市", "430700": "常德市", "430800": "张家界市",
    "430900": "益阳市", "431000": "郴州市", "431100": "永州市", "431200": "怀化市",
    "431300": "娄底市", "433100": "湘西土家族苗族自治州",
}  # fmt: skip

#: fund code -> (document no, {prefecture: yuan}) for the province's allocations
PROVINCE_ALLOCATIONS = {
    "2017-SJH": ("湘计生协〔2017〕12号", {
        "430100": "380000.00", "430200": "320000.00", "430300": "300000.00",
        "430400": "460000.00", "430500": "420000.00", "430600": "400000.00",
        "430700": "380000.00", "430800": "260000.00", "430900": "340000.00",
        "431000": "380000.00", "431100": "420000.00", "431200": "380000.00",
    }),
    "2017-DKTX": ("湘计生协〔2017〕15号", {
        code: "600000.00" for code in list(PREFECTURES)[:12]
    }),
    "2017-BX": ("湘计生协〔2017〕18号", {
        code: "900000.00" for code in list(PREFECTURES)[:13]
    }),
    "2018-SJH": ("湘计生协〔2018〕9号", {"430400": "500000.00", "431000": "400000.00"}),
    "2018-BX": ("湘计生协〔2018〕11号", {"430400": "1000000.00", "431100": "800000.00"}),
}  # fmt: skip

#: (fund, giver, receiver, yuan, document no, maker, checker)
COUNTY_ALLOCATIONS = [
    ("2017-SJH", "430400", "430481", "200000.00", "衡计生协〔2017〕5号",
     "hengyang_finance", "hengyang_checker"),
    ("2017-DKTX", "430400", "430481", "250000.00", "衡计生协〔2017〕7号",
     "hengyang_finance", "hengyang_checker"),
    ("2017-BX", "430400", "430481", "300000.00", "衡计生协〔2017〕9号",
     "hengyang_finance", "hengyang_checker"),
    ("2017-SJH", "431000", "431028", "150000.00", "郴计生协〔2017〕4号",
     "chenzhou_finance", "chenzhou_checker"),
    ("2017-BX", "431000", "431028", "200000.00", "郴计生协〔2017〕6号",
     "chenzhou_finance", "chenzhou_checker"),
    ("2017-SJH", "431100", "431126", "120000.00", "永计生协〔2017〕3号",
     "yongzhou_finance", "yongzhou_checker"),
    ("2017-SJH", "431100", "431128", "100000.00", "永计生协〔2017〕3号",
     "yongzhou_finance", "yongzhou_checker"),
    ("2017-SJH", "430600", "430623", "150000.00", "岳计生协〔2017〕8号",
     "yueyang_finance", "yueyang_checker"),
    ("2018-BX", "430400", "430481", "400000.00", "衡计生协〔2018〕2号",
     "hengyang_finance", "hengyang_checker"),
]  # fmt: skip


def _demo_id(region: str, born: str, seq: int) -> str:
    first17 = f"{region}{born}{seq:03d}"
    return first17 + check_digit(first17)


#: (region, name, born, seq, family type, household, evidence, approved by or None: waits)
BENEFICIARIES = [
    ("430481", "李桂兰", "19620315", 124, "special", "李桂兰，耒阳市蔡子池街道",
     "独生子女死亡，本人年满49周岁", "leiyang_checker"),
    ("430481", "王建国", "19750808", 231, "single_child", "王建国，耒阳市黄市镇",
     "独生子女家庭，持《独生子女父母光荣证》", "leiyang_checker"),
    ("430481", "陈秀英", "19580120", 342, "special", "陈秀英，耒阳市大市乡",
     "独生子女伤残，本人年满49周岁", "leiyang_checker"),
    ("431028", "刘冬梅", "19800512", 48, "two_daughters", "刘冬梅，安仁县永乐江镇",
     "农村二女户，已落实绝育措施", "chenzhou_checker"),
    ("430481", "赵明华", "19660214", 57, "poor", "赵明华，耒阳市哲桥镇",
     "计生困难家庭，因病致贫", None),
]  # fmt: skip

#: the 公示 of the demo: (region, category, beneficiary indexes and yuan, issued on (None:
#: today, still running), maker, checker, objection: (index, reporter, content, upheld))
PUBLICITIES = [
    ("430481", "hospital_allowance", [(0, "1000.00"), (2, "1500.00")], date(2017, 8, 1),
     "leiyang_finance", "leiyang_checker",
     (2, "大市乡某村民", "陈秀英已由其他渠道报销全部住院费用，且当年未住院满期", True)),
    ("430481", "nursing_subsidy", [(0, "5000.00"), (2, "5000.00")], None,
     "leiyang_finance", "leiyang_checker", None),
]  # fmt: skip

#: (fund, region, category, yuan, paid_on, payee, beneficiary idx or None, voucher, purpose,
#:  days, maker, checker or None for pending)
DISBURSEMENTS = [
    ("2017-SJH", "430481", "project_support", "20000.00", "2017-06-12", "王建国", 1,
     "耒财〔2017〕凭0612-01", "三结合项目：生猪养殖扶持", None, "leiyang_finance", "leiyang_checker"),
    ("2017-SJH", "430481", "project_support", "50000.00", "2017-07-03", "耒阳市黄市镇油茶合作社", None,
     "耒财〔2017〕凭0703-02", "三结合项目：油茶种植基地", None, "leiyang_finance", "leiyang_checker"),
    ("2017-SJH", "430481", "skills_training", "8000.00", "2017-08-21", "耒阳市职业技术学校", None,
     "耒财〔2017〕凭0821-03", "计生家庭养殖技能培训", None, "leiyang_finance", "leiyang_checker"),
    ("2017-BX", "430481", "insurance_premium", "150000.00", "2017-03-30", "中国人寿耒阳支公司", None,
     "耒财〔2017〕凭0330-01", "计生家庭系列保险保费", None, "leiyang_finance", "leiyang_checker"),
    ("2017-BX", "430481", "hospital_allowance", "1000.00", "2017-09-15", "李桂兰", 0,
     "耒财〔2017〕凭0915-04", "住院津贴 20 天 × 50 元", 20, "leiyang_finance", "leiyang_checker"),
    ("2017-SJH", "431028", "project_support", "30000.00", "2017-07-18", "刘冬梅", 3,
     "安财〔2017〕凭0718-01", "三结合项目：黄桃种植扶持", None, "anren_finance", "chenzhou_checker"),
    ("2017-SJH", "430481", "project_support", "15000.00", "2017-11-20", "陈秀英", 2,
     "耒财〔2017〕凭1120-05", "三结合项目：家庭手工作坊", None, "leiyang_finance", None),
]  # fmt: skip


def load_demo(session, password: str) -> list[str]:
    """Load everything; returns lines for the terminal. Raises DomainError on bad input."""
    out = []
    with acting_as(None, remote_addr="demo"):
        set_action(session, "加载参考数据")
        load_reference_data(session)
        session.commit()

    users = {}
    with acting_as(None, remote_addr="demo"):
        for username, role, region, name in DEMO_USERS:
            user = session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                set_action(session, f"创建演示用户 {username}")
                user = create_user(
                    session,
                    username=username,
                    password=password,
                    role=role,
                    region_code=region,
                    display_name=name,
                )
            else:
                check_password_strength(password, username)
                user.password_hash = hash_password(password)
            users[username] = user
        session.commit()

    maker, checker = users["province_maker"], users["province_checker"]
    lines = {}
    with acting_as(maker, remote_addr="demo"):
        for year, name, total, source, note in BUDGET_LINES:
            line = session.scalar(
                sa.select(BudgetLine).where(BudgetLine.fiscal_year == year, BudgetLine.name == name)
            )
            if line is None:
                set_action(session, f"录入{name}")
                line = create_budget_line(
                    session,
                    fiscal_year=year,
                    region_code="430000",
                    name=name,
                    total_fen=parse_yuan(total),
                    source=source,
                    note=note,
                )
                session.commit()
            lines[year] = line

    funds = {}
    for code, name, kind, year, budget, earmark in FUNDS:
        fund = session.scalar(sa.select(Fund).where(Fund.code == code))
        if fund is None:
            with acting_as(maker, remote_addr="demo"):
                fund = create_fund(
                    session,
                    maker,
                    code=code,
                    name=name,
                    kind_code=kind,
                    fiscal_year=year,
                    region_code="430000",
                    budget_fen=parse_yuan(budget),
                    earmarked_categories=earmark,
                    source="省级财政预算",
                    budget_line_id=lines[year].id,
                )
            session.commit()
        if fund.status == "draft":
            with acting_as(checker, remote_addr="demo"):
                approve_fund(session, checker, fund, "同意，按预算批复执行")
            session.commit()
        funds[code] = fund

    def allocate(fund_code, giver, receiver, amount, document_no, maker_user, checker_user):
        fund = funds[fund_code]
        exists = session.scalar(
            sa.select(Allocation.id).where(
                Allocation.fund_id == fund.id,
                Allocation.to_region_code == receiver,
                Allocation.document_no == document_no,
            )
        )
        if exists is not None:
            return
        approved_on = date(fund.fiscal_year, 4, 10)
        with acting_as(maker_user, remote_addr="demo"):
            allocation = create_allocation(
                session,
                maker_user,
                fund=fund,
                from_region_code=giver,
                to_region_code=receiver,
                amount_fen=parse_yuan(amount),
                document_no=document_no,
                reason=f"{fund.fiscal_year}年{fund.name}下达",
            )
        session.commit()
        with acting_as(checker_user, remote_addr="demo"):
            approve_allocation(
                session,
                checker_user,
                allocation,
                approved_on=approved_on,
                reason="同意，按文件执行",
            )
        session.commit()

    def allocate_year(year: int) -> None:
        for fund_code, (document_no, amounts) in PROVINCE_ALLOCATIONS.items():
            if funds[fund_code].fiscal_year == year:
                for receiver, amount in amounts.items():
                    allocate(fund_code, "430000", receiver, amount, document_no, maker, checker)
        for fund_code, giver, receiver, amount, document_no, m, c in COUNTY_ALLOCATIONS:
            if funds[fund_code].fiscal_year == year:
                allocate(fund_code, giver, receiver, amount, document_no, users[m], users[c])

    allocate_year(2017)

    beneficiaries = _register_demo_families(session, users)
    _publish_demo_lists(session, users, beneficiaries)

    for (fund_code, region, category, amount, paid_on, payee, who, voucher, purpose, days,
         m, c) in DISBURSEMENTS:  # fmt: skip
        fund = funds[fund_code]
        exists = session.scalar(
            sa.select(Disbursement.id).where(
                Disbursement.fund_id == fund.id, Disbursement.voucher_no == voucher
            )
        )
        if exists is not None:
            continue
        person = beneficiaries[who] if who is not None else None
        with acting_as(users[m], remote_addr="demo"):
            disbursement = create_disbursement(
                session,
                users[m],
                fund=fund,
                region_code=region,
                category_code=category,
                amount_fen=parse_yuan(amount),
                paid_on=date.fromisoformat(paid_on),
                payee_name=payee,
                payee_id_number=person.id_number if person else None,
                beneficiary_id=person.id if person else None,
                project_name="" if person else payee,
                voucher_no=voucher,
                purpose=purpose,
                days=days,
            )
        session.commit()
        if c is not None:
            with acting_as(users[c], remote_addr="demo"):
                approve_disbursement(session, users[c], disbursement, "同意支付")
            session.commit()

    _evaluate_2017(session, funds, users)
    # 2018 money only reaches regions whose 2017 evaluation of the same kind was approved
    allocate_year(2018)

    for year, line in lines.items():
        out.append(
            f"{line.name}: {yuan_str(line.total_fen)} 元, of which not itemised "
            f"{yuan_str(unitemised_fen(session, line))} 元 ({year})"
        )
    for code, fund in funds.items():
        out.append(f"fund {code} {fund.name}: budget {yuan_str(fund.budget_fen)} 元")
    out.append(f"demo users ({len(DEMO_USERS)}), all with the given password:")
    for username, role, region, name in DEMO_USERS:
        out.append(f"  {username:<18} {role:<8} {region} {name}")
    return out


def _register_demo_families(session, users) -> list[Beneficiary]:
    """Each demo county's register: registered by its maker, approved by a checker (one
    still waits for review)."""
    people = []
    for region, name, born, seq, family_type, household, evidence, checker in BENEFICIARIES:
        number = _demo_id(region, born, seq)
        person = session.scalar(sa.select(Beneficiary).where(Beneficiary.id_number == number))
        if person is None:
            registrar = users["anren_finance" if region == "431028" else "leiyang_finance"]
            with acting_as(registrar, remote_addr="demo"):
                person = register_beneficiary(
                    session, registrar, region_code=region, name=name, id_number=number,
                    family_type=family_type, household=household, evidence=evidence,
                    evidence_document_no=f"{region}-{seq:04d}",
                )  # fmt: skip
            session.commit()
        if person.status == "pending" and checker is not None:
            with acting_as(users[checker], remote_addr="demo"):
                approve_registration(session, users[checker], person, "材料齐全，核实无误")
            session.commit()
        people.append(person)
    return people


def _publish_demo_lists(session, users, people) -> None:
    """The demo's 公示: an ended one with an upheld objection (the 2017 hospital
    allowances), and one still running, issued today."""
    for region, category, listed, issued_on, maker, checker, objection in PUBLICITIES:
        exists = session.scalar(
            sa.select(Publicity.id).where(
                Publicity.region_code == region, Publicity.category_code == category
            )
        )
        if exists is not None:
            continue
        with acting_as(users[maker], remote_addr="demo"):
            publicity = issue_publicity(
                session, users[maker], region_code=region, category_code=category,
                entries=[(people[i].id, parse_yuan(yuan)) for i, yuan in listed],
                objection_place="耒阳市计划生育协会（市政府大院 3 楼 302 室）",
                objection_phone="0734-4321234", start_on=issued_on, today=issued_on,
            )  # fmt: skip
        session.commit()
        if objection is not None:
            who, reporter, content, upheld = objection
            with acting_as(users[maker], remote_addr="demo"):
                recorded = record_objection(
                    session, users[maker], publicity, beneficiary_id=people[who].id,
                    reporter=reporter, content=content, received_on=issued_on,
                    today=issued_on,
                )  # fmt: skip
            session.commit()
            with acting_as(users[checker], remote_addr="demo"):
                decide_objection(
                    session, users[checker], recorded, upheld=upheld,
                    decision="经乡镇计生办入户核实，反映属实，本期不予发放",
                )  # fmt: skip
            session.commit()
        if issued_on is not None:
            with acting_as(users[checker], remote_addr="demo"):
                day_after = publicity.end_on + timedelta(days=1)
                end_publicity(session, users[checker], publicity, "公示期满", today=day_after)
            session.commit()


def _evaluate_2017(session, funds, users) -> None:
    """File, submit and approve the 2017 evaluations, each step by the right person."""
    makers = {user.region_code: user for user in users.values() if user.role == "maker"}
    for fund_code, scores in EVALUATIONS_2017.items():
        fund = funds[fund_code]
        for region_code, (score, reviewer) in scores.items():
            existing = session.scalar(
                sa.select(Evaluation).where(
                    Evaluation.fund_id == fund.id, Evaluation.region_code == region_code
                )
            )
            if existing is not None:
                continue
            maker = makers[region_code]
            share = Decimal(score) / 100
            with acting_as(maker, remote_addr="demo"):
                evaluation = create_evaluation(session, maker, fund, region_code)
                lines = [
                    {
                        "id": line.id,
                        "tier": line.tier,
                        "dimension": line.dimension,
                        "name": line.name,
                        "unit": line.unit,
                        "weight": str(line.weight),
                        "target": line.target,
                        "actual": "已完成" if share >= Decimal("0.6") else "部分完成",
                        "self_score": str(
                            (line.weight * share).quantize(Decimal("0.5"), rounding=ROUND_HALF_UP)
                        ),
                        "note": "",
                    }
                    for line in evaluation.indicators
                ]
                update_evaluation(
                    session,
                    maker,
                    evaluation,
                    summary=f"{fund.fiscal_year}年度{fund.name}使用情况自评",
                    indicators=lines,
                )
                submit_evaluation(session, maker, evaluation)
            session.commit()
            with acting_as(users[reviewer], remote_addr="demo"):
                approve_evaluation(session, users[reviewer], evaluation, score)
            session.commit()
