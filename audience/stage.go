package audience

import (
	"fmt"
	"strings"
)

// BuyingStage is a stage of the predicted buying journey. Stages are ordered:
// StageTarget < StageAwareness < StageConsideration < StageDecision <
// StagePurchase. The zero value, StageUnknown, sorts before every stage.
type BuyingStage uint8

// Buying stages, in journey order.
const (
	StageUnknown BuyingStage = iota
	StageTarget
	StageAwareness
	StageConsideration
	StageDecision
	StagePurchase
)

var stageNames = [...]string{"", "Target", "Awareness", "Consideration", "Decision", "Purchase"}

// Stages lists the known stages in journey order.
func Stages() []BuyingStage {
	return []BuyingStage{StageTarget, StageAwareness, StageConsideration, StageDecision, StagePurchase}
}

// String returns the stage's name ("Decision"), or "" for StageUnknown.
func (s BuyingStage) String() string {
	if int(s) < len(stageNames) {
		return stageNames[s]
	}
	return fmt.Sprintf("BuyingStage(%d)", uint8(s))
}

// Valid reports whether s is one of the five named stages.
func (s BuyingStage) Valid() bool { return s >= StageTarget && s <= StagePurchase }

// ParseBuyingStage parses a stage name, ignoring case.
func ParseBuyingStage(name string) (BuyingStage, error) {
	for i := 1; i < len(stageNames); i++ {
		if strings.EqualFold(stageNames[i], name) {
			return BuyingStage(i), nil
		}
	}
	return StageUnknown, fmt.Errorf("%w: buying stage %q (want Target, Awareness, Consideration, Decision or Purchase)", ErrInvalidValue, name)
}

// ProfileFit is how well an account fits the ideal customer profile. Fits
// are ordered: FitWeak < FitModerate < FitStrong; FitUnknown is the zero value.
type ProfileFit uint8

// Profile fits, weakest first.
const (
	FitUnknown ProfileFit = iota
	FitWeak
	FitModerate
	FitStrong
)

var fitNames = [...]string{"", "Weak", "Moderate", "Strong"}

// String returns the fit's name ("Strong"), or "" for FitUnknown.
func (f ProfileFit) String() string {
	if int(f) < len(fitNames) {
		return fitNames[f]
	}
	return fmt.Sprintf("ProfileFit(%d)", uint8(f))
}

// Valid reports whether f is one of the three named fits.
func (f ProfileFit) Valid() bool { return f >= FitWeak && f <= FitStrong }

// ParseProfileFit parses a fit name, ignoring case.
func ParseProfileFit(name string) (ProfileFit, error) {
	for i := 1; i < len(fitNames); i++ {
		if strings.EqualFold(fitNames[i], name) {
			return ProfileFit(i), nil
		}
	}
	return FitUnknown, fmt.Errorf("%w: profile fit %q (want Strong, Moderate or Weak)", ErrInvalidValue, name)
}
