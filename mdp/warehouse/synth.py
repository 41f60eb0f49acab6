"""A synthetic warehouse that looks like Luxembourg's, for the demo, the tests and the benchmarks.

Seeded and deterministic: the same (seed, persons, period) gives the same files.
Vectorised with numpy, one month at a time, so it scales to millions of persons
in bounded memory. What it models, in rough Luxembourg proportions:

- persons: residents (58 %) and cross-border workers from France, Belgium and
  Germany; citizenship mix of residents (Luxembourgers, Portuguese, French, …)
  with naturalisations during the period; residence by canton or foreign region;
  entries, exits and deaths;
- employers with a NACE class, a legal form, a place and a size that follows from
  their jobs (the employers register counts the jobs, women, cross-border workers …);
- job spells (permanent, fixed-term, temporary agency, apprenticeship) with start,
  planned and effective ends, trial periods, temporary agency user firms, working
  time, wage and occupation (ISCO), and the internal redeployments of a few jobs;
- affiliations: status (employee, self-employed, civil servant, unemployed,
  pensioner, REVIS, co-insured), insurances, contributory income;
- children, and the family benefits that follow from them (family, school, birth,
  maternity, child-rearing allowances, child bonus, parental leave), paid to an
  eligible parent, with the amounts' reforms (2015, 2016); unemployment benefits
  after a job ends, pensions from 60, REVIS (from 2019) or RMG, cost-of-living
  allowance;
- spouses and registered partners (family links, both directions, with household);
- work absences, only of persons with a job that month, naming the job;
- health care, hospital stays and long-term care (benefits in kind).

A job belongs to a person present that month and to an existing employer; a
benefit goes to a parent of a child of the right age; an absence to an employee.
Every register of the dictionary has a generator below (a method of `Month`
named after it); a variable no generator fills is stored empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from mdp import dictionary
from mdp.staging import Staging
from mdp.warehouse.store import Warehouse, month_range, write_month

RESIDENCE = np.array(["LU", "FR", "BE", "DE"])
RESIDENCE_SHARE = [0.58, 0.21, 0.105, 0.105]

# Citizenship by country of residence: (codes, shares). Other EU and non-EU countries spread the tails.
CITIZENSHIP = {
    "LU": (["LU", "PT", "FR", "IT", "BE", "DE", "ES", "NL", "PL", "RO", "GR", "US", "CV", "BR", "CN", "IN", "RS", "MA"],
           [.53, .15, .07, .035, .035, .02, .015, .01, .01, .01, .005, .01, .02, .015, .01, .01, .02, .02]),
    "FR": (["FR", "PT", "IT", "LU", "ES", "PL", "MA", "DZ"], [.88, .04, .02, .01, .01, .01, .015, .015]),
    "BE": (["BE", "FR", "PT", "NL", "LU", "IT", "CD"], [.85, .04, .03, .02, .01, .02, .03]),
    "DE": (["DE", "PL", "LU", "FR", "PT", "TR", "RO"], [.85, .04, .02, .02, .02, .03, .02]),
}

# Places of residence at the finest level: "LU:<canton>:<commune>", or the foreign region.
PLACES = {
    "LU": (["LU:Luxembourg:Luxembourg", "LU:Luxembourg:Hesperange", "LU:Luxembourg:Bertrange", "LU:Luxembourg:Strassen",
            "LU:Esch-sur-Alzette:Esch-sur-Alzette", "LU:Esch-sur-Alzette:Differdange", "LU:Esch-sur-Alzette:Dudelange",
            "LU:Esch-sur-Alzette:Pétange", "LU:Esch-sur-Alzette:Sanem", "LU:Capellen:Mamer", "LU:Capellen:Steinfort",
            "LU:Mersch:Mersch", "LU:Diekirch:Ettelbruck", "LU:Diekirch:Diekirch", "LU:Wiltz:Wiltz",
            "LU:Clervaux:Clervaux", "LU:Echternach:Echternach", "LU:Grevenmacher:Junglinster",
            "LU:Grevenmacher:Grevenmacher", "LU:Remich:Remich", "LU:Redange:Redange", "LU:Vianden:Vianden"],
           [.22, .05, .04, .03, .08, .07, .05, .04, .04, .04, .02, .04, .04, .03, .03, .02, .02, .04, .02, .03, .02, .01]),
    "FR": (["FR:Moselle", "FR:Meurthe-et-Moselle", "FR:Meuse", "FR:Ardennes"], [.68, .26, .04, .02]),
    "BE": (["BE:Luxembourg", "BE:Liège", "BE:Namur"], [.76, .2, .04]),
    "DE": (["DE:Trier", "DE:Saarland", "DE:Koblenz", "DE:Rheinhessen-Pfalz"], [.78, .14, .05, .03]),
}

SECTORS = np.array(list("CFGHIJKMNOPQS"))
SECTOR_SHARE = [.06, .12, .18, .07, .09, .05, .08, .10, .08, .03, .03, .07, .04]
BLUE_COLLAR_BY_SECTOR = dict(zip("CFGHIJKMNOPQS", [.7, .8, .35, .6, .6, .05, .03, .1, .5, .05, .05, .3, .2]))
SIZE_CLASS_SHARE = [.70, .20, .07, .025, .005]      # 1-9, 10-49, 50-249, 250-999, 1000+ employees
SIZE_CLASS_JOBS = np.array([4, 22, 110, 450, 2000])  # typical jobs per employer of each class
ACTIVATION_TYPES = np.array(["CAE", "CIE", "CRE", "SIE", "OTI"])

REGISTER_SEED = {"individuals": 1, "jobs": 2, "social_benefits": 3, "work_absences": 4, "affiliations": 5,
                 "employers": 6, "redeployments": 7, "family_links": 8, "benefits_in_kind": 9}
NACE_DIVISIONS = {"C": (10, 33), "F": (41, 43), "G": (45, 47), "H": (49, 53), "I": (55, 56), "J": (58, 63),
                  "K": (64, 66), "M": (69, 75), "N": (77, 82), "O": (84, 84), "P": (85, 85), "Q": (86, 88),
                  "S": (94, 96)}
SIZE_BOUNDS = [0, 1, 5, 10, 20, 50, 100, 250, 500]   # e_size_class 0..8: lower bounds of the dictionary's bands
ICD10_CHAPTERS = np.array(["I", "II", "IV", "V", "IX", "X", "XI", "XIII", "XIV", "XV", "XIX"])


def _month_index(month: int) -> int:
    return (month // 100) * 12 + month % 100 - 1


def _month_start(index) -> np.ndarray:
    """Month indexes (year*12 + month-1) -> the first day of the month, as datetime64[D]."""
    index = np.asarray(index, dtype=np.int64)
    return (index - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _nullable(values, valid) -> pd.arrays.IntegerArray:
    """Whole numbers with NULL where not valid (numpy has no missing integers)."""
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(valid, dtype=bool))


def _category(values: np.ndarray, codes: np.ndarray | None = None) -> pd.Categorical:
    if codes is None:
        return pd.Categorical(values)
    return pd.Categorical.from_codes(codes, values)


@dataclass
class Population:
    """Everything about persons, employers, job spells and children that does not change by month."""

    first: int                  # month index of the period's first month
    n_months: int
    raw_id: np.ndarray
    residence: np.ndarray        # index into RESIDENCE
    gender: np.ndarray           # 1 man, 2 woman
    birth: np.ndarray            # datetime64[D]
    citizenship: np.ndarray      # ISO code strings
    naturalised: np.ndarray      # month offset from which the person is a Luxembourger (large: never)
    birth_country: np.ndarray
    place: np.ndarray
    civil_status: np.ndarray
    nin_date: np.ndarray
    entry: np.ndarray            # first month offset present (may be negative: before the period)
    exit: np.ndarray             # first month offset no longer present
    death: np.ndarray            # datetime64[D], NaT if alive
    min_income: np.ndarray
    employer_raw: np.ndarray
    employer_sector: np.ndarray
    # job spells
    job_raw: np.ndarray
    job_person: np.ndarray
    job_employer: np.ndarray
    job_user_firm: np.ndarray    # index of the user firm for temporary agency work, -1 otherwise
    job_start: np.ndarray        # month offset
    job_end: np.ndarray          # first month offset after the job
    job_start_date: np.ndarray
    job_contract: np.ndarray
    job_planned_months: np.ndarray
    job_status: np.ndarray
    job_blue: np.ndarray
    job_posted: np.ndarray
    job_family_member: np.ndarray
    job_activation: np.ndarray   # index into ACTIVATION_TYPES, -1: none
    job_redeployed: np.ndarray
    job_trial_months: np.ndarray
    job_part_time: np.ndarray
    job_wage: np.ndarray
    job_occupation: np.ndarray   # ISCO-08 unit group, 4 digits
    wage: np.ndarray             # the person's usual full-time wage (unemployment benefit, pension)
    employer_nace: np.ndarray    # NACE class "47.11"
    employer_legal_form: np.ndarray
    employer_place: np.ndarray
    employer_since: np.ndarray
    employer_mutuality: np.ndarray
    spouse: np.ndarray           # index of the spouse or registered partner, -1 if none
    union_start: np.ndarray
    # children: (parent index, birth date); the parent is the one receiving family benefits
    child_parent: np.ndarray
    child_birth: np.ndarray
    leave_parent: np.ndarray     # parental leaves: parent, start, end dates, type
    leave_start: np.ndarray
    leave_end: np.ndarray
    leave_type: np.ndarray


def population(persons: int, first_month: int, last_month: int, seed: int) -> Population:
    rng = np.random.default_rng(seed)
    n = persons
    first, n_months = _month_index(first_month), _month_index(last_month) - _month_index(first_month) + 1
    period_start = _month_start(first)

    residence = rng.choice(4, n, p=RESIDENCE_SHARE)
    cross_border = residence > 0
    gender = np.where(rng.random(n) < np.where(cross_border, 0.62, 0.5), 1, 2)
    age_weights = np.r_[np.full(20, 1.1), np.full(45, 1.5), np.linspace(1.2, 0.1, 31)]
    age = np.where(cross_border, np.clip(rng.normal(42, 10, n), 19, 64),
                   rng.choice(96, n, p=age_weights / age_weights.sum()) + rng.random(n))
    birth = period_start - (age * 365.25).astype("timedelta64[D]")

    citizenship = np.empty(n, dtype=object)
    place = np.empty(n, dtype=object)
    for r, country in enumerate(RESIDENCE):
        who = residence == r
        codes, shares = CITIZENSHIP[country]
        citizenship[who] = np.array(codes, dtype=object)[rng.choice(len(codes), who.sum(), p=np.array(shares) / sum(shares))]
        names, shares = PLACES[country]
        place[who] = np.array(names, dtype=object)[rng.choice(len(names), who.sum(), p=np.array(shares) / sum(shares))]
    birth_country = np.where(rng.random(n) < 0.8, citizenship, np.where(cross_border, RESIDENCE[residence], "LU"))
    never = np.iinfo(np.int32).max
    naturalised = np.where((~cross_border) & (citizenship != "LU") & (rng.random(n) < 0.1),
                           rng.integers(0, n_months, n), never)
    civil_status = np.where(age < 22, 1, rng.choice([1, 2, 3, 4, 5], n, p=[.32, .5, .03, .11, .04]))

    entry = np.where(rng.random(n) < 0.75, -1, rng.integers(0, n_months, n))
    leaves = rng.random(n) < 0.12
    exit_ = np.where(leaves, entry + 1 + (rng.random(n) * (n_months - entry)).astype(int), n_months + 1)
    exit_ = np.maximum(exit_, entry + 1)
    dies = leaves & (exit_ <= n_months) & (age + np.maximum(exit_, 0) / 12 > 65) & (rng.random(n) < 0.5)
    death = np.where(dies, _month_start(first + exit_ - 1) + rng.integers(0, 28, n).astype("timedelta64[D]"),
                     np.datetime64("NaT"))
    lu_born = birth_country == "LU"
    arrival = _month_start(first + np.maximum(entry, 0)) - rng.integers(0, 7300, n).astype("timedelta64[D]")
    nin_date = np.where(lu_born, birth, np.maximum(arrival, birth + np.timedelta64(16 * 365, "D")))
    min_income = np.where(cross_border | (rng.random(n) > 0.03), 0, np.where(rng.random(n) < 0.7, 1, 2))

    # employers: size classes weight where jobs go
    n_employers = max(5, n // 15)
    size_class = rng.choice(5, n_employers, p=SIZE_CLASS_SHARE)
    employer_sector = SECTORS[rng.choice(len(SECTORS), n_employers, p=SECTOR_SHARE)]
    employer_weight = SIZE_CLASS_JOBS[size_class] * rng.uniform(0.5, 1.5, n_employers)
    employer_weight /= employer_weight.sum()
    agencies = np.flatnonzero(employer_sector == "N")

    # job spells: up to three per employed person, one after the other
    working_age = (age + n_months / 12 > 18) & (age < 64)
    employed = cross_border | (working_age & (rng.random(n) < 0.68))
    spells = []
    start = np.where(entry >= 0, entry, -rng.integers(1, 240, n))
    for _ in range(3):
        contract = rng.choice([1, 2, 3, 4], n, p=[.76, .13, .08, .03])
        planned = np.where(contract == 2, rng.choice([6, 12, 24], n), 0)
        duration = np.select([contract == 1, contract == 2, contract == 3],
                             [rng.geometric(1 / 70, n), planned, rng.geometric(1 / 3, n)], 36)
        end = np.minimum(start + duration, exit_)
        ok = employed & (start < np.minimum(exit_, n_months)) & (end > np.maximum(entry, 0)) & (end > start)
        spells.append((np.flatnonzero(ok), start[ok], end[ok], contract[ok], planned[ok]))
        start = end + rng.geometric(1 / 3, n)
    job_person = np.concatenate([s[0] for s in spells])
    order = np.argsort(job_person, kind="stable")
    job_person, job_start, job_end, job_contract, job_planned = (
        np.concatenate([s[i] for s in spells])[order] for i in range(5))
    n_jobs = len(job_person)
    job_employer = rng.choice(n_employers, n_jobs, p=employer_weight)
    temp = job_contract == 3
    if len(agencies):
        job_employer[temp] = rng.choice(agencies, temp.sum())
    job_user_firm = np.where(temp, rng.choice(n_employers, n_jobs, p=employer_weight), -1)
    job_status = rng.choice([1, 2, 3], n_jobs, p=[.9, .06, .04])
    blue_p = np.vectorize(BLUE_COLLAR_BY_SECTOR.get)(employer_sector[job_employer]) if n_jobs else np.zeros(0)
    job_blue = (rng.random(n_jobs) < blue_p).astype(int)
    job_trial_months = np.where((job_contract <= 2) & (job_status == 1), np.where(job_blue == 1, 3, 6), 0)

    # children (born to the recipient parent, mostly mothers), and parental leaves after a birth
    recipient = np.flatnonzero((gender == 2) | (rng.random(n) < 0.15))
    n_children = rng.poisson(1.3, len(recipient))
    child_parent = np.repeat(recipient, n_children)
    parent_age = rng.uniform(22, 41, len(child_parent))
    child_birth = birth[child_parent] + (parent_age * 365.25).astype("timedelta64[D]")
    period_end = _month_start(first + n_months)
    born = child_birth < period_end
    child_parent, child_birth = child_parent[born], child_birth[born]
    takes_leave = (child_birth >= period_start - np.timedelta64(365, "D")) & (rng.random(len(child_parent)) < 0.3)
    leave_type = rng.choice([1, 2, 3], takes_leave.sum(), p=[.6, .3, .1])
    leave_start = child_birth[takes_leave] + np.timedelta64(91, "D")
    leave_end = leave_start + np.select([leave_type == 1, leave_type == 2], [182, 365], 608).astype("timedelta64[D]")

    # what later registers need; drawn from a second stream so the draws above stay as they were
    more = np.random.default_rng([seed, 99])
    wage = np.exp(more.normal(np.log(np.where(cross_border, 4200, 4600)), 0.45, n))
    job_part_time = (more.random(n_jobs) < np.where(gender[job_person] == 2, 0.32, 0.07)).astype(int)
    job_wage = np.round(wage[job_person] * more.uniform(0.85, 1.15, n_jobs) * np.where(job_part_time, 0.5, 1.0), 2)
    blue_major = more.choice([7, 8, 9], n_jobs)
    white_major = more.choice([1, 2, 3, 4, 5], n_jobs, p=[.08, .3, .27, .2, .15])
    job_occupation = np.char.add(np.where(job_blue == 1, blue_major, white_major).astype(str),
                                 more.integers(110, 999, n_jobs).astype(str))
    divisions = np.array([more.integers(NACE_DIVISIONS[s][0], NACE_DIVISIONS[s][1] + 1) for s in employer_sector])
    employer_nace = np.char.add(np.char.add(np.char.zfill(divisions.astype(str), 2), "."),
                                more.integers(10, 99, n_employers).astype(str))
    employer_legal_form = np.where(employer_sector == "O", 6, more.choice([1, 2, 3, 4, 5], n_employers,
                                                                          p=[.2, .5, .2, .05, .05]))
    lu_places, lu_shares = PLACES["LU"]
    employer_place = np.array(lu_places, dtype=object)[more.choice(len(lu_places), n_employers,
                                                                   p=np.array(lu_shares) / sum(lu_shares))]
    employer_since = period_start - more.integers(30, 12000, n_employers).astype("timedelta64[D]")
    couple = np.flatnonzero(np.isin(civil_status, [2, 5]))
    couple = more.permutation(couple)[: len(couple) // 2 * 2].reshape(-1, 2)
    spouse = np.full(n, -1)
    spouse[couple[:, 0]], spouse[couple[:, 1]] = couple[:, 1], couple[:, 0]
    union_start = period_start - more.integers(100, 12000, n).astype("timedelta64[D]")
    union_start[couple[:, 1]] = union_start[couple[:, 0]]

    return Population(
        job_part_time=job_part_time, job_wage=job_wage, job_occupation=job_occupation, wage=wage,
        employer_nace=employer_nace, employer_legal_form=employer_legal_form, employer_place=employer_place,
        employer_since=employer_since, employer_mutuality=more.integers(1, 5, n_employers),
        spouse=spouse, union_start=union_start,
        first=first, n_months=n_months, raw_id=1_000_000_000 + np.arange(n, dtype=np.int64) * 10 + rng.integers(0, 10, n),
        residence=residence, gender=gender, birth=birth, citizenship=citizenship, naturalised=naturalised,
        birth_country=birth_country, place=place, civil_status=civil_status, nin_date=nin_date,
        entry=entry, exit=exit_, death=death, min_income=min_income,
        employer_raw=800_000_000 + np.arange(n_employers, dtype=np.int64) * 7,
        employer_sector=employer_sector,
        job_raw=5_000_000_000 + np.arange(n_jobs, dtype=np.int64), job_person=job_person, job_employer=job_employer,
        job_user_firm=job_user_firm, job_start=job_start, job_end=job_end,
        job_start_date=_month_start(first + job_start) + rng.integers(0, 28, n_jobs).astype("timedelta64[D]"),
        job_contract=job_contract, job_planned_months=job_planned, job_status=job_status, job_blue=job_blue,
        job_posted=(rng.random(n_jobs) < 0.01).astype(int),
        job_family_member=((job_status == 3) & (rng.random(n_jobs) < 0.1)).astype(int),
        job_activation=np.where((residence[job_person] == 0) & (rng.random(n_jobs) < 0.02),
                                rng.integers(0, len(ACTIVATION_TYPES), n_jobs), -1),
        job_redeployed=(rng.random(n_jobs) < 0.004).astype(int), job_trial_months=job_trial_months,
        child_parent=child_parent, child_birth=child_birth, leave_parent=child_parent[takes_leave],
        leave_start=leave_start, leave_end=leave_end, leave_type=leave_type,
    )


class Month:
    """One month of the synthetic population: who is present, who works, and the registers' rows."""

    def __init__(self, pop: Population, month: int, seed: int):
        self.pop, self.month, self.seed = pop, month, seed
        self.offset = _month_index(month) - pop.first
        self.start = _month_start(_month_index(month))
        self.end = _month_start(_month_index(month) + 1) - np.timedelta64(1, "D")
        self.present = (pop.entry <= self.offset) & (self.offset < pop.exit)
        self.active_jobs = np.flatnonzero((pop.job_start <= self.offset) & (self.offset < pop.job_end)
                                          & self.present[pop.job_person])
        self.employed = np.zeros(len(pop.raw_id), dtype=bool)
        self.employed[pop.job_person[self.active_jobs]] = True
        self.job_of = np.full(len(pop.raw_id), -1)  # one of the person's jobs this month
        self.job_of[pop.job_person[self.active_jobs]] = self.active_jobs
        self.age = (self.end - pop.birth).astype(int) // 365.25
        ended = (pop.job_end <= self.offset) & (pop.job_end > self.offset - 12)
        last_end = np.full(len(pop.raw_id), -10**6)
        np.maximum.at(last_end, pop.job_person[ended], pop.job_end[ended])
        self.jobseeker = (self.present & ~self.employed & (last_end > self.offset - 12) & (pop.residence == 0)
                          & (self.age < 64))
        self.last_end = last_end
        self.pensioner = self.present & ~self.employed & (self.age >= 60)

    def rng(self, register: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.month, REGISTER_SEED[register]])

    def _dates_in_month(self, dates: np.ndarray) -> np.ndarray:
        return (dates >= self.start) & (dates <= self.end)

    def individuals(self) -> pd.DataFrame:
        p, who = self.pop, np.flatnonzero(self.present)
        age_days = (self.end - p.birth[who]).astype(int)
        citizenship = np.where(p.naturalised[who] <= self.offset, "LU", p.citizenship[who])
        death = p.death[who]
        return pd.DataFrame({
            "reference_period": self.month, "individual_IDnumber": p.raw_id[who], "i_gender": p.gender[who],
            "i_age": np.maximum(age_days // 365.25, 0).astype(np.int16), "i_civil_status": p.civil_status[who],
            "i_residence_country": _category(RESIDENCE, p.residence[who]),
            "i_location_residence": _category(p.place[who]), "i_citizenship": _category(citizenship),
            "i_birth_country": _category(p.birth_country[who]), "i_NIN_creation_date": p.nin_date[who],
            "i_death_date": np.where(self._dates_in_month(death), death, np.datetime64("NaT")),
            "i_F_min_income": p.min_income[who],
        })

    def jobs(self) -> pd.DataFrame:
        p, j = self.pop, self.active_jobs
        months_in = self.offset - p.job_start[j]
        ends_now = p.job_end[j] == self.offset + 1
        end_date = np.maximum(self.start + (p.job_raw[j] % 28).astype("timedelta64[D]"), p.job_start_date[j])
        fixed_term = p.job_contract[j] == 2
        planned_end = (p.job_start_date[j].astype("datetime64[M]") + p.job_planned_months[j]).astype("datetime64[D]")
        trial_end = (p.job_start_date[j].astype("datetime64[M]") + p.job_trial_months[j]).astype("datetime64[D]")
        has_trial = p.job_trial_months[j] > 0
        user_firm = p.job_user_firm[j]
        activation = p.job_activation[j]
        return pd.DataFrame({
            "reference_period": self.month, "job_IDnumber": p.job_raw[j],
            "individual_IDnumber": p.raw_id[p.job_person[j]], "employer_IDnumber": p.employer_raw[p.job_employer[j]],
            "temporary_jobs_employer_IDnumber": _nullable(p.employer_raw[user_firm], user_firm >= 0),
            "j_job_start_date": p.job_start_date[j],
            "j_job_end_effective_date": np.where(ends_now, end_date, np.datetime64("NaT")),
            "j_contract_type": p.job_contract[j],
            "j_job_end_planned_date": np.where(fixed_term, planned_end, np.datetime64("NaT")),
            "j_contract_planned_duration": np.where(fixed_term, p.job_planned_months[j], np.nan),
            "j_job_status": p.job_status[j], "j_blue-collar": p.job_blue[j], "j_posted_worker": p.job_posted[j],
            "j_assisting_family_member": p.job_family_member[j],
            "j_activation_measure": (activation >= 0).astype(int),
            "j_activation_measure_type": pd.Categorical.from_codes(activation, ACTIVATION_TYPES),
            "j_internal_redeployment": p.job_redeployed[j],
            "j_trial_period": (has_trial & (months_in < p.job_trial_months[j])).astype(int),
            "j_trial_period_end_date": np.where(has_trial, trial_end, np.datetime64("NaT")),
            "j_working_time": p.job_part_time[j] + 1,
            "j_paid_hours": np.where(p.job_part_time[j] == 1, 86.67, 173.33),
            "j_monthly_wage": p.job_wage[j],
            "j_occupation": _category(p.job_occupation[j]),
        })

    def social_benefits(self) -> pd.DataFrame:
        p, month = self.pop, self.month
        parent = p.child_parent
        age_days = (self.end - p.child_birth).astype(int)
        minor = (age_days >= 0) & (age_days < 18 * 365.25)
        n = len(p.raw_id)
        kids = np.bincount(parent[minor], minlength=n)
        school_6_11 = np.bincount(parent[minor & (age_days >= 6 * 365.25) & (age_days < 12 * 365.25)], minlength=n)
        school_12 = np.bincount(parent[minor & (age_days >= 12 * 365.25)], minlength=n)
        births = np.bincount(parent[self._dates_in_month(p.child_birth)], minlength=n)
        near_birth = np.bincount(parent[(age_days >= -31) & (age_days < 62)], minlength=n)
        under_two = np.bincount(parent[(age_days >= 0) & (age_days < 730)], minlength=n)
        on_leave = np.zeros(n, dtype=bool)
        leave = (p.leave_start <= self.end) & (p.leave_end >= self.start)
        on_leave[p.leave_parent[leave]] = True
        leave_row = np.full(n, -1)
        leave_row[p.leave_parent[leave]] = np.flatnonzero(leave)

        reformed = month >= 201608
        family = np.where(reformed, 265.0 * kids, np.select(
            [kids == 1, kids == 2, kids >= 3], [185.60, 439.84, 802.78 + 362.94 * (kids - 3)], 0.0))
        august = month % 100 == 8
        school = august * np.where(reformed, 115.0 * school_6_11 + 235.0 * school_12,
                                   113.15 * school_6_11 + 194.02 * school_12)
        maternity = (p.gender == 2) & ~self.employed & (near_birth > 0)
        childrear = (month < 201506) & ~self.employed & (under_two > 0)
        bonus = np.where(month < 201608, 76.88 * kids, 0.0)
        rng = self.rng("social_benefits")
        unemployed = self.jobseeker & (self.last_end > self.offset - 12)
        maternity_cash = (p.gender == 2) & self.employed & (near_birth > 0)
        pension_type = np.where(self.pensioner, np.where(self.age >= 65, 1, 2), 0)
        revis_era = month >= 201901
        revis = np.where(revis_era, p.min_income, 0)
        flags = {"i_F_family_allowance_right": kids > 0, "i_F_school_allowance_right": school > 0,
                 "i_F_birth_allowance": births > 0, "i_F_maternity_allowance": maternity,
                 "i_F_childrear_allowance": childrear, "i_F_child_bonus_right": bonus > 0,
                 "i_F_parental_leave": on_leave, "i_F_registered_jobseeker": self.jobseeker,
                 "i_F_unemployment_benefit": unemployed, "i_F_sickness_benefit": np.zeros(n, dtype=bool),
                 "i_F_maternity_cash_benefit": maternity_cash,
                 "i_F_accident_annuity": (p.raw_id % 997 == 0) & self.present,
                 "i_F_severe_disability_income": (p.raw_id % 1499 == 1) & self.present & ~self.employed,
                 "i_F_cost_of_living_allowance": (month % 100 == 1) & (p.min_income > 0)}
        any_benefit = self.present & (np.logical_or.reduce(list(flags.values())) | (pension_type > 0) | (revis > 0)
                                      | (p.min_income > 0))
        who = np.flatnonzero(any_benefit)
        lr = leave_row[who]
        has_leave = lr >= 0
        nat = np.datetime64("NaT")

        def amount(flag, value):
            return np.where(flag[who], value[who] if np.ndim(value) else value, np.nan)

        return pd.DataFrame({
            "reference_period": month, "individual_IDnumber": p.raw_id[who],
            **{name: flag[who].astype(int) for name, flag in flags.items()},
            "i_family_allowance": amount(flags["i_F_family_allowance_right"], family),
            "i_school_allowance": amount(flags["i_F_school_allowance_right"], school),
            "i_birth_allowance": amount(flags["i_F_birth_allowance"], 580.03 * births),
            "i_maternity_allowance": amount(maternity, 776.08),
            "i_childrear_allowance": amount(childrear, 485.01),
            "i_child_bonus": amount(flags["i_F_child_bonus_right"], bonus),
            "i_parental_leave_start_date": np.where(has_leave, p.leave_start[np.maximum(lr, 0)], nat)
            if len(p.leave_start) else nat,
            "i_parental_leave_end_date": np.where(has_leave, p.leave_end[np.maximum(lr, 0)], nat)
            if len(p.leave_end) else nat,
            "i_parental_leave_type": _nullable(p.leave_type[np.maximum(lr, 0)] if len(p.leave_type) else lr, has_leave),
            "i_parental_leave_rank": _nullable(np.ones(len(who)), has_leave),
            "i_unemployment_benefit": amount(unemployed, np.round(np.minimum(0.8 * p.wage, 5300.0), 2)),
            "i_unemployment_benefit_start_date": np.where(
                unemployed[who], _month_start(p.first + np.maximum(self.last_end[who], -10**5)), np.datetime64("NaT")),
            "i_maternity_cash_benefit": amount(maternity_cash, np.round(p.wage, 2)),
            "i_pension_type": pension_type[who],
            "i_pension": np.where(pension_type[who] > 0, np.round(0.62 * p.wage[who], 2), np.nan),
            "i_pension_start_date": np.where(pension_type[who] > 0, p.birth[who] + np.timedelta64(60 * 365 + 15, "D"),
                                             np.datetime64("NaT")),
            "i_F_revis": revis[who],
            "i_revis_inclusion_allowance": np.where(revis[who] == 1, 812.0, np.nan),
            "i_revis_activation_allowance": np.where((revis[who] == 1) & (rng.random(len(who)) < 0.3), 1250.0, np.nan),
            "i_rmg_supplementary_allowance": np.where(~revis_era & (p.min_income[who] == 1), 915.0, np.nan),
            "i_cost_of_living_allowance": amount(flags["i_F_cost_of_living_allowance"], 1652.0),
        })

    def work_absences(self) -> pd.DataFrame:
        p, rng = self.pop, self.rng("work_absences")
        n = len(p.raw_id)
        days_in_month = int((self.end - self.start).astype(int)) + 1
        after_birth = np.zeros(n, dtype=bool)
        age_days = (self.end - p.child_birth).astype(int)
        after_birth[p.child_parent[(age_days >= -56) & (age_days < 84)]] = True
        maternity = self.employed & after_birth & (p.gender == 2)
        other = self.employed & ~maternity & (rng.random(n) < 0.07)
        kind = rng.choice([1, 2, 4], n, p=[.85, .08, .07])
        who = np.flatnonzero(maternity | other)
        days = np.where(maternity[who], days_in_month, rng.integers(1, 21, n)[who])
        start = self.start + rng.integers(0, days_in_month, n)[who].clip(max=days_in_month - days).astype("timedelta64[D]")
        return pd.DataFrame({
            "reference_period": self.month, "individual_IDnumber": p.raw_id[who],
            "a_sickness_days": days.astype(float),
            "a_absence_type": np.where(maternity[who], 3, kind[who]),
            "job_IDnumber": p.job_raw[self.job_of[who]],
            "a_absence_start_date": start, "a_absence_end_date": start + (days - 1).astype("timedelta64[D]"),
            "a_payer": np.where(maternity[who] | (rng.random(len(who)) < 0.1), 2, 1),
        })

    def affiliations(self) -> pd.DataFrame:
        p, who = self.pop, np.flatnonzero(self.present)
        jobs = np.bincount(p.job_person[self.active_jobs], minlength=len(p.raw_id))
        income = np.bincount(p.job_person[self.active_jobs], weights=p.job_wage[self.active_jobs],
                             minlength=len(p.raw_id))
        j = self.job_of[who]
        status = np.where(j >= 0, np.select([p.job_status[j] == 3, p.job_status[j] == 2], [2, 3], 1),
                          np.select([self.jobseeker[who], self.pensioner[who], p.min_income[who] == 1], [4, 5, 7], 8))
        own_right = status != 8
        civil_servant = status == 3
        start = np.where(j >= 0, p.job_start_date[j], _month_start(p.first + np.maximum(p.entry[who], 0)))
        return pd.DataFrame({
            "reference_period": self.month, "individual_IDnumber": p.raw_id[who], "i_affiliation_status": status,
            "i_F_active": (j >= 0).astype(int), "i_nb_jobs": jobs[who].astype(float),
            "i_F_cross_border_worker": (p.residence[who] > 0).astype(int),
            "i_affiliation_start_date": start, "i_affiliation_end_date": np.datetime64("NaT"),
            "i_first_affiliation_date": p.nin_date[who],
            "i_F_health_insurance": np.where(own_right, 1, 2), "i_health_insurance_fund": np.where(civil_servant, 2, 1),
            "i_F_pension_insurance": (j >= 0).astype(int),
            "i_pension_scheme": _nullable(np.where(civil_servant, 2, 1), j >= 0),
            "i_F_accident_insurance": (j >= 0).astype(int), "i_F_longterm_care_insurance": 1,
            "i_contributory_income": np.where(j >= 0, np.round(income[who], 2), np.nan),
            "i_insurance_months": np.maximum((self.end - p.nin_date[who]).astype(int) // 30.44 * 0.8, 0).round(),
        })

    def employers(self) -> pd.DataFrame:
        p, j = self.pop, self.active_jobs
        e = p.job_employer[j]
        m = len(p.employer_raw)

        def count(mask, index=e):
            return np.bincount(index[mask], minlength=m)

        employees = count(np.ones(len(j), dtype=bool))
        user_firm = p.job_user_firm[j]
        sector = np.char.ljust(p.employer_nace.astype(str), 2)
        return pd.DataFrame({
            "reference_period": self.month, "employer_IDnumber": p.employer_raw,
            "e_NACE_sector": _category(p.employer_nace), "e_size_class": np.searchsorted(SIZE_BOUNDS, employees, "right") - 1,
            "e_legal_form": p.employer_legal_form, "e_location": _category(p.employer_place),
            "e_F_public_sector": ((p.employer_legal_form == 6) | np.char.startswith(sector, "85")).astype(int),
            "e_F_temporary_work_agency": (p.employer_sector == "N").astype(int),
            "e_first_affiliation_date": p.employer_since, "e_deregistration_date": np.datetime64("NaT"),
            "e_mutuality_class": p.employer_mutuality, "e_nb_employees": employees.astype(float),
            "e_nb_women": count(p.gender[p.job_person[j]] == 2).astype(float),
            "e_nb_blue_collar": count(p.job_blue[j] == 1).astype(float),
            "e_nb_cross_border": count(p.residence[p.job_person[j]] > 0).astype(float),
            "e_nb_fixed_term": count(p.job_contract[j] == 2).astype(float),
            "e_nb_part_time": count(p.job_part_time[j] == 1).astype(float),
            "e_nb_apprentices": count(p.job_contract[j] == 4).astype(float),
            "e_nb_agency_workers": np.bincount(user_firm[user_firm >= 0], minlength=m).astype(float),
            "e_nb_posted_workers": count(p.job_posted[j] == 1).astype(float),
        })

    def redeployments(self) -> pd.DataFrame:
        """Internal redeployments: the jobs marked j_internal_redeployment, while they last."""
        p = self.pop
        j = self.active_jobs[p.job_redeployed[self.active_jobs] == 1]
        decision = p.job_start_date[j] + np.timedelta64(200, "D")
        return pd.DataFrame({
            "reference_period": self.month, "individual_IDnumber": p.raw_id[p.job_person[j]],
            "job_IDnumber": p.job_raw[j], "employer_IDnumber": p.employer_raw[p.job_employer[j]],
            "r_redeployment_type": 1, "r_decision_date": decision, "r_start_date": decision + np.timedelta64(30, "D"),
            "r_end_date": np.datetime64("NaT"), "r_F_redeployment_status": 1,
            "r_working_time_reduction": np.where(p.job_raw[j] % 2 == 0, 20.0, 50.0),
            "r_compensatory_allowance": np.round(0.3 * p.job_wage[j], 2), "r_F_waiting_allowance": 0,
        })

    def family_links(self) -> pd.DataFrame:
        """Spouses and registered partners who are both in the registers (both directions)."""
        p = self.pop
        who = np.flatnonzero(self.present & (p.spouse >= 0))
        who = who[self.present[p.spouse[who]]]
        other = p.spouse[who]
        kids = np.bincount(p.child_parent[(self.end - p.child_birth).astype(int) // 365.25 < 18]
                           if len(p.child_parent) else np.zeros(0, int), minlength=len(p.raw_id))
        children = kids[who] + kids[other]
        return pd.DataFrame({
            "reference_period": self.month, "individual_IDnumber": p.raw_id[who],
            "related_individual_IDnumber": p.raw_id[other],
            "household_IDnumber": 3_000_000_000 + np.minimum(who, other),
            "f_link_type": np.where(p.civil_status[who] == 5, 2, 1), "f_link_source": 1,
            "f_link_start_date": p.union_start[who], "f_link_end_date": np.datetime64("NaT"),
            "f_F_same_household": 1, "f_F_child_benefit_link": 0,
            "f_household_size": (2 + children).astype(float), "f_nb_children_household": children.astype(float),
        })

    def benefits_in_kind(self) -> pd.DataFrame:
        p, rng = self.pop, self.rng("benefits_in_kind")
        n = len(p.raw_id)
        old = self.age >= 65
        care = self.present & (rng.random(n) < np.where(old, 0.8, 0.5))
        stay = np.where(rng.random(n) < np.where(old, 0.03, 0.008), 1, np.where(rng.random(n) < 0.01, 2, 0))
        longterm = self.present & (self.age >= 80) & (p.raw_id % 7 == 0)
        who = np.flatnonzero(care | (stay > 0) | longterm)
        days_in_month = int((self.end - self.start).astype(int)) + 1
        hospital_days = np.where(stay[who] == 1, rng.integers(1, 12, n)[who], 0)
        admission = self.start + rng.integers(0, days_in_month, n)[who].clip(max=days_in_month - np.maximum(
            hospital_days, 1)).astype("timedelta64[D]")
        nat = np.datetime64("NaT")
        expenditure = np.round(np.exp(rng.normal(4.6, 1.2, n))[who] + 900.0 * hospital_days, 2)
        flu_season = self.month % 100 in (10, 11, 12)
        return pd.DataFrame({
            "reference_period": self.month, "individual_IDnumber": p.raw_id[who],
            "h_health_care_expenditure": np.where(care[who] | (stay[who] > 0), expenditure, 0.0),
            "h_nb_gp_consultations": rng.poisson(0.5, n)[who].astype(float),
            "h_nb_specialist_consultations": rng.poisson(0.3, n)[who].astype(float),
            "h_medicine_expenditure": np.round(np.exp(rng.normal(3.5, 1.0, n))[who], 2),
            "h_vaccination": np.where(flu_season & old[who] & (rng.random(len(who)) < 0.15), 2, 0),
            "h_F_hospital_stay": stay[who], "h_hospital_days": hospital_days.astype(float),
            "h_hospital_admission_date": np.where(stay[who] > 0, admission, nat),
            "h_hospital_discharge_date": np.where(stay[who] > 0, admission + hospital_days.astype("timedelta64[D]"), nat),
            "h_main_diagnosis_chapter": pd.Categorical(np.where(stay[who] > 0, ICD10_CHAPTERS[
                rng.integers(0, len(ICD10_CHAPTERS), n)[who]], None)),
            "h_F_longterm_care": longterm[who].astype(int),
            "h_longterm_care_level": np.where(longterm[who], rng.integers(1, 16, n)[who], np.nan),
            "h_longterm_care_setting": _nullable(np.where(p.raw_id[who] % 3 == 0, 2, 1), longterm[who]),
            "h_longterm_care_cash_benefit": np.where(longterm[who] & (p.raw_id[who] % 3 != 0), 512.0, np.nan),
        })


def generate(persons: int, first_month: int, last_month: int, seed: int = 2002, root: Path | None = None,
             on_month=None) -> dict:
    """Write a synthetic warehouse (every register the generator knows, every month); returns rows per register.

    Replaces the months it writes, all at once (mdp.staging): an interrupted run leaves
    the warehouse as it was.
    """
    warehouse = Warehouse(root)
    known = [r.name for r in dictionary.registers() if hasattr(Month, r.name)]
    pop = population(persons, first_month, last_month, seed)
    rows = {name: 0 for name in known}
    con = duckdb.connect()
    with Staging(warehouse.root) as staging:
        staged = []
        for month in month_range(first_month, last_month):
            m = Month(pop, month, seed)
            for name in known:
                frame = getattr(m, name)()
                con.register("frame", frame)
                write_month(con, name, "SELECT * FROM frame", staging.path / warehouse.relpath(name, month))
                con.unregister("frame")
                staged.append(warehouse.relpath(name, month))
                rows[name] += len(frame)
            if on_month:
                on_month(month)
        staging.commit(staged)
    return rows
