"""The minister pack's own words in English and Bahasa Malaysia (labels shared with the pages
come from ``dashboard.i18n``: status, pillar and milestone words, number and period formats)."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, tuple[str, str]] = {
    "title": ("National AI Adoption KPI Pack", "Pek KPI Penerimagunaan AI Negara"),
    "subtitle": ("Quarterly report to the Minister", "Laporan suku tahunan kepada Menteri"),
    "office": ("National AI Office (NAIO)", "Pejabat AI Negara (NAIO)"),
    "covers": ("Period covered", "Tempoh diliputi"),
    "published": ("Data published", "Data diterbitkan"),
    "snapshot": ("Warehouse snapshot", "Snapshot gudang data"),
    "content_hash": ("Content hash (SHA-256)", "Cincangan kandungan (SHA-256)"),
    "reproducible": ("Every number in this pack comes from the snapshot named above; building the pack again "
                     "from it gives the same content.",
                     "Setiap angka dalam pek ini diambil daripada snapshot di atas; pek yang dibina semula "
                     "daripadanya memberikan kandungan yang sama."),
    "contents": ("Contents", "Kandungan"),
    "summary": ("Executive summary", "Ringkasan eksekutif"),
    "pillar": ("Pillar: {name}", "Tunjang: {name}"),
    "sectors": ("Economic sectors", "Sektor ekonomi"),
    "ministries": ("Ministries", "Kementerian"),
    "register": ("AI systems in the national register", "Sistem AI dalam daftar kebangsaan"),
    "register_lead": ("{n} AI systems are in force in {period}, from each agency's latest register: {production} "
                      "in production, of which {high} high-risk or prohibited and {assessed} with an impact "
                      "assessment.",
                      "{n} sistem AI berkuat kuasa pada {period}, daripada daftar terkini setiap agensi: "
                      "{production} dalam pengeluaran, dengan {high} daripadanya berisiko tinggi atau dilarang "
                      "dan {assessed} dengan penilaian impak."),
    "register_by_stage": ("AI systems by stage", "Sistem AI mengikut peringkat"),
    "deliverables": ("NAIO deliverables and milestones", "Hasil dan batu tanda NAIO"),
    "completeness": ("Data completeness", "Kelengkapan data"),
    "appendix": ("Appendix: definitions and methodology", "Lampiran: definisi dan metodologi"),
    "methodology": ("Methodology", "Metodologi"),
    "headline": ("Headline KPIs, {period}", "KPI utama, {period}"),
    "all_kpis": ("All KPIs at national level, {period}", "Semua KPI di peringkat kebangsaan, {period}"),
    "index_national": ("NAIO AI Transformation Index (national)", "Indeks Transformasi AI NAIO (kebangsaan)"),
    "kpi": ("KPI", "KPI"),
    "value": ("Value", "Nilai"),
    "target": ("Target", "Sasaran"),
    "status": ("Status", "Status"),
    "change": ("Change on previous quarter", "Perubahan berbanding suku sebelumnya"),
    "coverage": ("Coverage", "Liputan"),
    "of_agencies": ("{n} of {m} agencies", "{n} daripada {m} agensi"),
    "projection": ("Projection", "Unjuran"),
    "reached_by": ("target {target} reached by {period}", "sasaran {target} dicapai menjelang {period}"),
    "not_reached": ("target {target} not reached by {period} on the current trend",
                    "sasaran {target} tidak dicapai menjelang {period} pada trend semasa"),
    "standing_met": ("target {target} every quarter, met in {period}",
                     "sasaran {target} setiap suku tahun, dicapai pada {period}"),
    "standing_not_met": ("target {target} every quarter, not met in {period}",
                         "sasaran {target} setiap suku tahun, tidak dicapai pada {period}"),
    "no_previous": ("no previous quarter", "tiada suku sebelumnya"),
    "no_data": ("No data for this selection.", "Tiada data untuk pilihan ini."),
    "national_trend": ("National value by quarter", "Nilai kebangsaan mengikut suku tahun"),
    "trajectory": ("Target trajectory", "Trajektori sasaran"),
    "kpis_in_pillar": ("{n} KPIs in this pillar.", "{n} KPI dalam tunjang ini."),
    "sector_c1": ("Enterprises using AI by MSIC section: Malaysia and EU27 (% of enterprises)",
                  "Perusahaan yang menggunakan AI mengikut seksyen MSIC: Malaysia dan EU27 (% perusahaan)"),
    "sector_kpis": ("KPI values by MSIC section, {period}", "Nilai KPI mengikut seksyen MSIC, {period}"),
    "section": ("MSIC section", "Seksyen MSIC"),
    "shading": ("Shading shows how close each value is to its target (darker is closer).",
                "Rona menunjukkan sejauh mana setiap nilai menghampiri sasarannya (lebih gelap lebih hampir)."),
    "malaysia": ("Malaysia", "Malaysia"),
    "eu27": ("EU27 (Eurostat)", "EU27 (Eurostat)"),
    "percent_enterprises": ("% of enterprises", "% perusahaan"),
    "ministry_index": ("AI Transformation Index of the ministries, {period}",
                       "Indeks Transformasi AI kementerian, {period}"),
    "ministry_index_note": ("Each ministry's own organisation, ranked among the ministries (its peer group); "
                            "0-100, see the appendix.",
                            "Organisasi setiap kementerian sendiri, disusun dalam kalangan kementerian (kumpulan "
                            "setaranya); 0-100, lihat lampiran."),
    "change_short": ("Change", "Perubahan"),
    "ministry_kpis": ("Headline KPIs by ministry, {period}", "KPI utama mengikut kementerian, {period}"),
    "ministry": ("Ministry", "Kementerian"),
    "index": ("Index", "Indeks"),
    "rank": ("Rank", "Kedudukan"),
    "index_axis": ("Index 0-100", "Indeks 0-100"),
    "deliverable": ("Deliverable", "Hasil"),
    "milestone": ("Milestone", "Batu tanda"),
    "planned": ("Planned", "Dirancang"),
    "actual": ("Actual", "Sebenar"),
    "milestones_done": ("{done} of {n} milestones done, {overdue} overdue",
                        "{done} daripada {n} batu tanda selesai, {overdue} lewat"),
    "timeline": ("Milestones: planned and actual dates", "Batu tanda: tarikh dirancang dan sebenar"),
    "quarter_end": ("Quarter end", "Akhir suku"),
    "expected": ("Expected", "Dijangka"),
    "received": ("Received", "Diterima"),
    "on_time": ("On time", "Tepat masa"),
    "late": ("Late", "Lewat"),
    "missing": ("Missing", "Tiada"),
    "complete_pct": ("Complete", "Lengkap"),
    "agencies": ("Agencies", "Agensi"),
    "completeness_lead": ("{received} of {expected} expected values received ({pct}); {late} late. "
                          "A return is on time when it arrives within 30 days of the quarter's end.",
                          "{received} daripada {expected} nilai yang dijangka diterima ({pct}); {late} lewat. "
                          "Pulangan tepat masa jika diterima dalam tempoh 30 hari selepas akhir suku tahun."),
    "completeness_trend": ("Expected values received by quarter", "Nilai dijangka yang diterima mengikut suku tahun"),
    "completeness_by_ministry": ("Completeness by ministry, {period}", "Kelengkapan mengikut kementerian, {period}"),
    "values": ("values", "nilai"),
    "description": ("Description", "Keterangan"),
    "formula": ("Formula", "Formula"),
    "unit": ("Unit", "Unit"),
    "direction": ("Direction", "Arah"),
    "up_good": ("higher is better", "lebih tinggi lebih baik"),
    "down_good": ("lower is better", "lebih rendah lebih baik"),
    "rollup": ("Roll-up", "Agregasi"),
    "targets": ("Targets", "Sasaran"),
    "proposal": ("proposal", "cadangan"),
    "pillar_word": ("Pillar", "Tunjang"),
    "deliverables_word": ("Deliverables", "Hasil"),
    "footer": ("NAIO KPI pack · {period} · snapshot {snapshot}", "Pek KPI NAIO · {period} · snapshot {snapshot}"),
    "page_of": ("Page {page} of {pages}", "Halaman {page} daripada {pages}"),
    "better": ("better", "lebih baik"),
    "worse": ("worse", "lebih buruk"),
    "unchanged": ("unchanged", "tiada perubahan"),
}

METHODOLOGY: tuple[tuple[str, str], ...] = (
    ("Source. Agencies submit a quarterly return; each file is archived byte for byte, checked as a whole and "
     "accepted or rejected as a whole. Publishing builds the warehouse from the accepted data and computes every "
     "KPI once. This pack only reads one published snapshot, named with its content hash on the cover.",
     "Sumber. Agensi menghantar pulangan suku tahunan; setiap fail diarkibkan bait demi bait, disemak secara "
     "keseluruhan dan diterima atau ditolak secara keseluruhan. Penerbitan membina gudang data daripada data yang "
     "diterima dan mengira setiap KPI sekali. Pek ini hanya membaca satu snapshot yang diterbitkan, dinamakan "
     "bersama cincangan kandungannya di kulit hadapan."),
    ("Roll-up. A rate is a ratio of sums: the sum of numerators over the sum of denominators of the agencies that "
     "reported both parts in the quarter, never the mean of agency ratios unless the definition says weighted "
     "mean. Coverage shows how many of the expected agencies reported.",
     "Agregasi. Kadar ialah nisbah jumlah: jumlah pengangka dibahagi jumlah penyebut bagi agensi yang melaporkan "
     "kedua-dua bahagian dalam suku tahun itu, bukan purata nisbah agensi melainkan definisi menyatakan purata "
     "berwajaran. Liputan menunjukkan bilangan agensi yang melapor berbanding yang dijangka."),
    ("Status. The value is compared with the target trajectory, a straight line from the baseline to the dated "
     "target. On track: at or beyond the trajectory. At risk: short of it within the tolerance of the KPI's "
     "thresholds. Off track: further short. No target: reported without a target. Awaiting data: too few of "
     "the expected returns have arrived. Status is always shown with a word and a symbol, never by colour alone.",
     "Status. Nilai dibandingkan dengan trajektori sasaran, iaitu garis lurus dari nilai asas ke sasaran "
     "bertarikh. Di landasan: pada atau melepasi trajektori. Berisiko: kurang daripadanya dalam had toleransi "
     "ambang KPI. Tersasar: lebih jauh daripada itu. Tiada sasaran: dilaporkan tanpa sasaran. Menunggu data: "
     "terlalu sedikit pulangan yang dijangka telah diterima. Status sentiasa ditunjukkan dengan perkataan dan "
     "simbol, bukan dengan warna sahaja."),
    ("Projection. The linear trend of recent quarters is extended to the target date; the pack gives the quarter "
     "in which the target would be reached, or says that it would not be reached on that trend.",
     "Unjuran. Trend linear suku tahun terkini dilanjutkan ke tarikh sasaran; pek ini menyatakan suku tahun "
     "sasaran akan dicapai, atau menyatakan bahawa ia tidak dicapai pada trend tersebut."),
    ("Change. The change against the previous quarter is the difference of the two quarterly values; for "
     "percentages it is in percentage points (pp).",
     "Perubahan. Perubahan berbanding suku sebelumnya ialah beza antara dua nilai suku tahunan; bagi peratusan "
     "ia dalam mata peratusan (mp)."),
    ("Completeness. Expected values are the required indicators of every active agency for the quarter; received "
     "values are those in accepted returns. A return is on time when received within 30 days of the quarter's end.",
     "Kelengkapan. Nilai yang dijangka ialah penunjuk wajib setiap agensi aktif bagi suku tahun itu; nilai yang "
     "diterima ialah yang terdapat dalam pulangan yang diterima. Pulangan tepat masa jika diterima dalam tempoh "
     "30 hari selepas akhir suku tahun."),
    ("AI Transformation Index. Each component KPI is scored against its fixed target (min(value / target, 1) x "
     "100, inverted where lower is better); a pillar is the mean of its components and the index the geometric "
     "mean of the pillars, as the OECD/JRC Handbook on Constructing Composite Indicators recommends. Entities are "
     "ranked only within their peer group.",
     "Indeks Transformasi AI. Setiap KPI komponen diberi skor berbanding sasaran tetapnya (min(nilai / sasaran, "
     "1) x 100, disongsangkan jika lebih rendah lebih baik); tunjang ialah purata komponennya dan indeks ialah "
     "min geometri tunjang, seperti yang disyorkan oleh Buku Panduan OECD/JRC tentang Pembinaan Penunjuk "
     "Komposit. Entiti hanya dibandingkan dalam kumpulan setaranya."),
)

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "ms": ("Januari", "Februari", "Mac", "April", "Mei", "Jun", "Julai", "Ogos", "September", "Oktober",
           "November", "Disember"),
}


def tr(key: str, lang: str, **values: Any) -> str:
    text = TEXT[key][1 if lang == "ms" else 0]
    return text.format(**values) if values else text


def methodology(lang: str) -> list[str]:
    return [pair[1 if lang == "ms" else 0] for pair in METHODOLOGY]


def long_date(d: Any, lang: str) -> str:
    """``2026-09-30`` -> ``30 September 2026`` / ``30 September 2026`` (month names per language)."""
    return f"{d.day} {MONTHS['ms' if lang == 'ms' else 'en'][d.month - 1]} {d.year}"
