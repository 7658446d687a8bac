"""A small hand-computed world: three active agencies, one inactive, registers and milestones.

The expected numbers in ``test_values.py`` are worked out by hand from these rows.
Submission ids: returns 1x (A1), 2x (A2), 3x (A3), 9x (X9), the digit after being the
quarter; registers 101 (A1, filed 2025Q1) and 202 (A2, filed 2025Q2).
"""

from __future__ import annotations

from datetime import date

from tests.kpi.builders import add_agency, add_milestone, add_return, add_system

A1_Q2 = dict(HC_TOTAL=100, HC_AI_LIT=50, HC_AI_ADV=4, HC_AI_SPEC=0.5, HC_GENAI_ACCESS=80, HC_GENAI_ACTIVE=40,
             SRV_N=10, SRV_HRS_SAVED_SUM=30, SRV_QUALITY_YES=9, SVC_TOTAL=10, SVC_E2E=8, SVC_AI=2, TXN_AI=100,
             TXN_AI_BASE_DAYS=10, TXN_AI_CUR_DAYS=6, CSAT_AI_N=20, CSAT_AI_SUM=80, BUD_DIGITAL_RM=1000,
             BUD_AI_RM=100, PROC_AI_RM=50, PROC_AI_LOCAL_RM=25, DS_OPEN=5, DS_AI_READY=3, DSA_SIGNED=2,
             GOV_AI_POLICY=1, GOV_AI_LEAD=1, AI_INCIDENTS=1, SANDBOX_N=2, CASESTUDY_N=1)
A2_Q2 = dict(HC_TOTAL=300, HC_AI_LIT=30, HC_AI_ADV=2, HC_AI_SPEC=1.5, HC_GENAI_ACCESS=120, HC_GENAI_ACTIVE=60,
             SVC_TOTAL=30, SVC_E2E=12, SVC_AI=1, TXN_AI=300, TXN_AI_BASE_DAYS=20, TXN_AI_CUR_DAYS=18,
             BUD_DIGITAL_RM=3000, BUD_AI_RM=0, DS_AI_READY=7, DSA_SIGNED=1, GOV_AI_POLICY=0, GOV_AI_LEAD=1,
             AI_INCIDENTS=3, SANDBOX_N=0, CASESTUDY_N=2)


def build(con) -> None:
    add_agency(con, "A1", "MOF", "department")
    add_agency(con, "A2", "MOH", "department")
    add_agency(con, "A3", "MOF", "statutory_body")
    add_agency(con, "X9", "MOF", "department", active=False)
    add_return(con, "A1", "2025Q1", dict(HC_TOTAL=100, HC_AI_LIT=40, SRV_N=10, SRV_HRS_SAVED_SUM=20,
                                         SANDBOX_N=1, CASESTUDY_N=1), submission_id=11)
    add_return(con, "A1", "2025Q2", A1_Q2, submission_id=12)
    add_return(con, "A1", "2025Q2", dict(HC_TOTAL=40, HC_AI_LIT=10), breakdown=("MSIC", "C"), submission_id=12)
    add_return(con, "A2", "2025Q2", A2_Q2, submission_id=22)
    add_return(con, "A2", "2025Q2", dict(HC_TOTAL=60, HC_AI_LIT=30), breakdown=("MSIC", "C"), submission_id=22)
    add_return(con, "A2", "2025Q2", dict(HC_TOTAL=50, HC_AI_LIT=5), breakdown=("STATE", "14"), submission_id=22)
    add_return(con, "A3", "2025Q2", dict(HC_AI_LIT=10, GOV_AI_POLICY=1), submission_id=32)
    add_return(con, "X9", "2025Q2", dict(HC_TOTAL=1000, HC_AI_LIT=1000, GOV_AI_POLICY=1), submission_id=92)
    add_system(con, "A1", "2025Q1", "S1", submission_id=101, stage="production", risk_tier="high",
               impact_assessment=True, human_oversight=True, msic_section="O", states_served="1,2",
               est_hours_saved=1000.0, pilot_start_period="2024Q2", production_period="2025Q1")
    add_system(con, "A1", "2025Q1", "S2", submission_id=101, stage="pilot", risk_tier="high",
               impact_assessment=False, msic_section="C", pilot_start_period="2024Q2", est_hours_saved=500.0)
    add_system(con, "A1", "2025Q1", "S3", submission_id=101, stage="pilot", risk_tier="prohibited")
    add_system(con, "A1", "2025Q1", "S4", submission_id=101, stage="retired", risk_tier="prohibited")
    add_system(con, "A2", "2025Q2", "S5", submission_id=202, stage="production", risk_tier="minimal",
               human_oversight=True, msic_section="O", states_served="ALL", est_hours_saved=200.0)
    add_milestone(con, "D1-M1", date(2025, 3, 31), date(2025, 3, 31), "done")
    add_milestone(con, "D1-M2", date(2025, 6, 30), date(2025, 7, 15), "done")
    add_milestone(con, "D2-M1", date(2025, 12, 31), None, "in_progress")
    add_milestone(con, "D2-M2", date(2026, 6, 30), None, "planned")
