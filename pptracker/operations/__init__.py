"""Operations: KPIs and deductions, payment schedule, tariffs, demand and revenue."""
