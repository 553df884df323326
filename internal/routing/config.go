package routing

import (
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// QueueFrom turns a queue and its routing data (as the store and the API
// hold them) into the engine's terms; live routing and the simulator both
// use it, so a scenario means what a tenant's configuration means.
func QueueFrom(q kefu.Queue, cfg kefu.QueueRouting) QueueSpec {
	spec := QueueSpec{ID: q.ID, Channel: engineChannel(q.Channel), InHouseOnly: q.InHouseOnly, Policy: DefaultPolicy()}
	if len(cfg.Skills) > 0 {
		for _, sk := range cfg.Skills {
			spec.Skills = append(spec.Skills, SkillReq{Skill: sk.Skill, MinLevel: sk.MinLevel})
		}
	} else {
		for _, sk := range q.Skills {
			spec.Skills = append(spec.Skills, SkillReq{Skill: sk, MinLevel: 1})
		}
	}
	for _, t := range cfg.Tiers {
		spec.Tiers = append(spec.Tiers, string(t))
	}
	for _, p := range cfg.Split {
		spec.Split = append(spec.Split, Share{Pool: poolName(p.Pool), Weight: p.Weight})
	}
	for _, st := range cfg.Steps {
		step := Step{Name: st.Name, After: time.Duration(st.AfterSeconds) * time.Second, RelaxSkills: st.RelaxSkills,
			LowerLevels: st.LowerLevels, OfferCallback: st.OfferCallback}
		for _, t := range st.AddTiers {
			step.AddTiers = append(step.AddTiers, string(t))
		}
		for _, p := range st.AddPools {
			step.AddPools = append(step.AddPools, poolName(p))
		}
		spec.Steps = append(spec.Steps, step)
	}
	pol := &spec.Policy
	if sel, ok := ParseSelection(cfg.Selection); ok {
		pol.Selection = sel
	}
	for k, v := range cfg.TierCredit {
		pol.TierCredit[k] = time.Duration(v) * time.Second
	}
	for k, v := range cfg.PriorityCredit {
		pol.PriorityCredit[k] = time.Duration(v) * time.Second
	}
	if cfg.OfferTimeoutSeconds != 0 {
		pol.OfferTimeout = time.Duration(cfg.OfferTimeoutSeconds) * time.Second
	}
	if cfg.ServiceLevelSeconds != 0 {
		pol.ServiceLevel = time.Duration(cfg.ServiceLevelSeconds) * time.Second
	}
	if cfg.SLARiskWindowSeconds != 0 {
		pol.SLARiskWindow = time.Duration(cfg.SLARiskWindowSeconds) * time.Second
	}
	if cfg.SLARiskCreditSeconds != 0 {
		pol.SLARiskCredit = time.Duration(cfg.SLARiskCreditSeconds) * time.Second
	}
	return spec
}

// engineChannel: a queue with no channel takes tickets of any channel, and
// agents give it capacity under "ticket".
func engineChannel(c string) string {
	if c == "" {
		return "ticket"
	}
	return c
}

// poolName: the API says "in_house" for the tenant's own agents.
func poolName(p string) string {
	if p == kefu.PoolInHouse {
		return InHouse
	}
	return p
}

// AgentFrom turns an agent's routing profile into the engine's terms.
func AgentFrom(p kefu.AgentProfile) AgentSpec {
	wrap := map[string]time.Duration{}
	for k, v := range p.WrapUpSeconds {
		wrap[k] = time.Duration(v) * time.Second
	}
	return AgentSpec{ID: p.UserID, Tier: string(p.Tier), Vendor: p.VendorID, Skills: p.Skills, Capacity: p.EffectiveCapacity(), WrapUp: wrap}
}
